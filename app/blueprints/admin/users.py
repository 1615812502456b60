from app.blueprints.admin import bp


@bp.get("/users")
def users():
    return "users: not built yet"
