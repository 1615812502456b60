"""The JSON API under /api/v1: token-authenticated, same services and permissions as the UI."""

from flask import Flask


def register_api(app: Flask) -> None:
    from app.blueprints.api import docs

    app.register_blueprint(docs.bp)
