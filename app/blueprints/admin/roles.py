from app.blueprints.admin import bp


@bp.get("/roles")
def roles():
    return "roles: not built yet"
