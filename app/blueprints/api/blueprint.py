"""The blueprint every API resource module uses, so no endpoint can forget a safeguard:
a bearer token is required (no cookies), requests are rate-limited per token, CSRF does
not apply (nothing here trusts cookies), and errors keep the API's one shape."""

from __future__ import annotations

from http import HTTPStatus

from flask import current_app
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from app.blueprints.api import auth
from app.blueprints.api.errors import http_error_response
from app.extensions import csrf, limiter

PREFIX = "/api/v1"

# One bucket per token across every endpoint, sized by API_RATE_LIMIT on each request
# (so a test or an operator can change it without a restart).
_per_token_limit = limiter.shared_limit(
    lambda: current_app.config["API_RATE_LIMIT"], scope="api", key_func=auth.rate_limit_key
)


class ApiBlueprint(Blueprint):
    """A resource of /api/v1. `name` is the endpoint prefix (use "api_<resource>" so it
    never meets a UI blueprint); `tag` groups its operations in the OpenAPI document."""

    def __init__(self, name: str, import_name: str, *, tag: str, **kwargs):
        kwargs.setdefault("url_prefix", PREFIX)
        super().__init__(name, import_name, **kwargs)
        self.tag = tag
        self.before_request(auth.authenticate_request)
        self.register_error_handler(HTTPException, http_error_response)
        csrf.exempt(self)
        _per_token_limit(self)

    def route(self, rule, *, parameters=None, tags=None, **options):
        """flask-smorest's route, tagged, with the errors every endpoint may answer documented."""
        register = super().route(rule, parameters=parameters, tags=tags or [self.tag], **options)
        statuses = [HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.TOO_MANY_REQUESTS]
        if "<" in rule:
            statuses.append(HTTPStatus.NOT_FOUND)

        def decorate(view):
            for status in statuses:
                view = self.alt_response(status, response=status.name)(view)
            return register(view)

        return decorate
