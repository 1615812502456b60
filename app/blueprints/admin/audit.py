from app.blueprints.admin import bp


@bp.get("/audit")
def audit():
    return "audit: not built yet"
