import sqlalchemy as sa
from flask import Response, abort, current_app, redirect, request, session, url_for
from flask_login import current_user, login_required

from app import queues
from app.blueprints.main import bp, dashboard
from app.extensions import csrf, db, limiter
from app.htmx import render_page_or_fragment
from app.redirects import safe_next
from app.services import accounts


@bp.get("/")
@login_required
def home():
    return render_page_or_fragment("main/home.html", "main/_home.html", **dashboard.home_context())


@bp.post("/language")
def language():
    locale = request.form.get("locale", "")
    if locale not in current_app.config["LANGUAGES"]:
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        accounts.update_user(current_user, actor=current_user, locale=locale)
        db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("main.home")))


@bp.get("/healthz")
@csrf.exempt
@limiter.exempt
def healthz():
    """For load balancers: 200 when the database and Redis both answer, else 503."""
    checks = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {type(error).__name__}"
    try:
        queues.connection().ping()
        checks["redis"] = "ok"
    except Exception as error:  # noqa: BLE001
        checks["redis"] = f"error: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return {"status": "ok" if healthy else "error", "checks": checks}, 200 if healthy else 503


@bp.get("/metrics")
@csrf.exempt
@limiter.exempt
def metrics():
    """Prometheus metrics, for administrators: signed in, or a scraper sending an
    administrator's API token as `Authorization: Bearer <token>`."""
    from app.blueprints.api.auth import current_token
    from app.observability import metrics as figures

    user = current_user if current_user.is_authenticated else None
    if user is None:
        token = current_token()
        user = token.user if token is not None and token.user.is_active else None
    if user is None:
        return Response(
            "A signed-in administrator or an administrator's API token is required.\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain"},
        )
    if not user.is_admin:
        abort(403)
    body = figures.render(current_app.config["RQ_QUEUES"], queues.outbox_pending)
    return Response(body, 200, {"Content-Type": figures.CONTENT_TYPE, "Cache-Control": "no-store"})
