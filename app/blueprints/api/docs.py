"""flask-smorest's Api as Rapport uses it: the OpenAPI document (bearer tokens, one tag per
resource) and every error in the API's one shape.

The document is served at /api/v1/openapi.json and rendered by the vendored ReDoc at
/api/v1/docs (OPENAPI_REDOC_* in app.config); both are public, they describe no data.
Imports nothing of the app but the error shape, because app.extensions creates the Api.
"""

from __future__ import annotations

from flask_smorest import Api

from app.blueprints.api.errors import ErrorSchema, http_error_response

SECURITY_SCHEME = "bearerAuth"
DESCRIPTION = """Rapport's JSON API. Create a personal access token on your profile's
*API tokens* page and send it as `Authorization: Bearer rpt_...`. A token acts as its user
and sees what that user may see; a read-only token may not POST, PUT, PATCH or DELETE.

Lists take `limit` (1-200, default 50) and an opaque `cursor`, are ordered by id and answer
`{"data": [...], "next": "<URL of the next page, or null>"}`. Unknown query parameters are
refused. Every error answers `{"error": {"code", "message", "fields"}}`. Requests are
rate-limited per token."""


class RapportApi(Api):
    """The Api extension with Rapport's error shape, bearer security and resource tags."""

    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, **options):
        options.setdefault("info", {"description": DESCRIPTION})
        options.setdefault("security", [{SECURITY_SCHEME: []}])
        super()._init_spec(**options)
        self.spec.components.security_scheme(
            SECURITY_SCHEME,
            {"type": "http", "scheme": "bearer", "description": "A personal access token."},
        )

    def _register_error_handlers(self):
        # app/errors.py answers app-wide (this shape under /api/, pages elsewhere); API
        # blueprints register handle_http_exception themselves (see ApiBlueprint).
        pass

    def handle_http_exception(self, error):
        return http_error_response(error)

    def register_blueprint(self, blp, *, parameters=None, **options):
        """Register an API resource; its OpenAPI tag is its title ("Users"), not its
        endpoint prefix ("api_users"), so API and UI blueprint names never collide."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=parameters)
        tag = getattr(blp, "tag", name)
        self.spec.tag({"name": tag, "description": blp.description})
