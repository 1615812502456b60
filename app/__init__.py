"""Rapport: a self-hosted CRM. `create_app()` builds the Flask application."""

from __future__ import annotations

import os

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from app import extensions
from app.config import DEFAULT_SECRET_KEY, config_for
from app.extensions import api, babel, csrf, db, limiter, login_manager, migrate


def create_app(overrides: dict | None = None, env: str | None = None) -> Flask:
    """Build the app for RAPPORT_ENV (or `env`), with `overrides` applied last (tests)."""
    app = Flask(__name__, instance_path=os.environ.get("RAPPORT_INSTANCE_PATH"))
    app.config.from_object(config_for(env))
    app.config.update(overrides or {})
    _resolve_defaults(app)

    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from app import observability

    # First, so every request is timed and has its id before any other hook can fail.
    observability.init_app(app)
    _init_extensions(app)
    _register_blueprints(app)

    from app import cli, errors, templating

    errors.register(app)
    templating.register(app)
    cli.register(app)
    return app


def _resolve_defaults(app: Flask) -> None:
    if app.config["ENV_NAME"] == "production" and app.config["SECRET_KEY"] in (
        DEFAULT_SECRET_KEY,
        "",
        None,
    ):
        raise RuntimeError("Refusing to start in production with the default SECRET_KEY.")
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "rapport.db")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    app.config["SQLALCHEMY_DATABASE_URI"] = _sqlalchemy_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        from app.database import POSTGRESQL_CONNECT_ARGS

        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {**POSTGRESQL_CONNECT_ARGS, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    from app.queues import limiter_storage_uri

    app.config.setdefault("RATELIMIT_STORAGE_URI", limiter_storage_uri(app.config["REDIS_URL"]))


def _sqlalchemy_url(url: str) -> str:
    """Accept the usual postgres:// and postgresql:// URLs and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _init_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (every model registered before migrations look)

    # Modules that plug into others at import: orders count as revenue in ABC grading; the
    # SLA clock, assignment rules and the email channel listen to ticket events.
    from app.services import (  # noqa: F401
        marketing_timeline,
        orders,
        sequence_triggers,
        sla,
        surveys,
        ticket_assignment,
        ticket_mail,
        webhook_events,
    )

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    # Through the module: the name `app.htmx` is the helpers module app/htmx.py.
    extensions.htmx.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_time_zone)
    limiter.init_app(app)
    api.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    from app.services import accounts

    login_manager.user_loader(accounts.load_session_user)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            from app.database import tune_sqlite

            tune_sqlite(db.engine)

    @app.after_request
    def _security_headers(response):
        # No MIME sniffing of downloads, no framing (clickjacking), no full URLs to others,
        # scripts only from Rapport's own files (no inline script runs), and HTTPS kept.
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        own_policy = response.headers.get("Content-Security-Policy", "")
        if "frame-ancestors" not in own_policy:
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers["Content-Security-Policy"] = security_policy(own_policy)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response

    @app.before_request
    def _attribute_changes_to_user():
        from app.audit import set_actor

        user = current_user if current_user.is_authenticated else None
        set_actor(db.session, user, source="web", ip=request.remote_addr)


# Everything from Rapport itself: scripts (htmx, SortableJS, ReDoc and a few small files)
# never inline; styles may be inline (htmx's indicator, ReDoc's themes); ReDoc's workers
# start from blob: URLs. No form-action: the web-to-lead form may send its visitors on to the
# company's own site, a redirect Chrome would check against it. A view may set its own
# directives (the web-to-lead form's frame-ancestors, an attachment's sandbox); they are kept
# and the rest added.
SECURITY_POLICY = (
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self' 'unsafe-inline'"),
    ("img-src", "'self' data:"),
    ("font-src", "'self' data:"),
    ("connect-src", "'self'"),
    ("worker-src", "'self' blob:"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("frame-ancestors", "'none'"),
)


def security_policy(own: str = "") -> str:
    """The Content-Security-Policy of a response: the view's own directives, then every
    default directive the view did not set."""
    named = {part.split()[0] for part in own.split(";") if part.strip()}
    added = [f"{name} {value}" for name, value in SECURITY_POLICY if name not in named]
    return "; ".join([part.strip() for part in own.split(";") if part.strip()] + added)


def _select_locale() -> str:
    """The user's saved language, else the session's choice, else the browser's."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and jobs: force_locale() picks the language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.blueprint == "portal":  # customers: their own choice, never a colleague's
        from app.blueprints.portal.session import portal_locale

        return portal_locale() or _browser_locale()
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return _browser_locale()


def _browser_locale() -> str:
    best = request.accept_languages.best_match(["en", "zh-TW", "zh-Hant", "zh-HK", "zh"])
    return "zh_Hant" if best and best.startswith("zh") else "en"


def _select_time_zone() -> str:
    """The signed-in user's time zone, else the configured default (also for jobs and CLI,
    which format in a user's zone explicitly through app.timezones)."""
    from app import timezones

    user = current_user if has_request_context() and current_user.is_authenticated else None
    return timezones.zone_name(user)


def _register_blueprints(app: Flask) -> None:
    from app.blueprints.activities import bp as activities_bp
    from app.blueprints.admin import bp as admin_bp
    from app.blueprints.api import register_api
    from app.blueprints.auth import bp as auth_bp
    from app.blueprints.customers import bp as customers_bp
    from app.blueprints.history import bp as history_bp
    from app.blueprints.imports import bp as imports_bp
    from app.blueprints.jobs import bp as jobs_bp
    from app.blueprints.main import bp as main_bp
    from app.blueprints.marketing import bp as marketing_bp
    from app.blueprints.portal import bp as portal_bp
    from app.blueprints.privacy import bp as privacy_bp
    from app.blueprints.public import bp as public_bp
    from app.blueprints.reports import bp as reports_bp
    from app.blueprints.sales import bp as sales_bp
    from app.blueprints.service import bp as service_bp
    from app.blueprints.tags import bp as tags_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(history_bp)
    app.register_blueprint(tags_bp)
    app.register_blueprint(customers_bp)
    app.register_blueprint(activities_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(sales_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(service_bp)
    app.register_blueprint(marketing_bp)
    app.register_blueprint(reports_bp)
    register_api(app)
