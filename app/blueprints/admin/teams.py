from app.blueprints.admin import bp


@bp.get("/teams")
def teams():
    return "teams: not built yet"
