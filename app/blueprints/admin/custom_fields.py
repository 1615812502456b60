from app.blueprints.admin import bp


@bp.get("/custom-fields")
def custom_fields():
    return "custom_fields: not built yet"
