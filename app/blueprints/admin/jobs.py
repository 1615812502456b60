from app.blueprints.admin import bp


@bp.get("/jobs")
def jobs():
    return "jobs: not built yet"
