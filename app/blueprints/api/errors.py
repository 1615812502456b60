"""The API's one error shape: {"error": {"code", "message", "fields"}}."""

from flask import jsonify


def api_error_response(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return jsonify(body), status
