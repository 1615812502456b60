from flask import Blueprint

bp = Blueprint("api_docs", __name__)


@bp.get("/api/v1/docs")
def docs():
    return "docs"
