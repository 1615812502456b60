"""The portal's own session, apart from staff sign-in: `session["portal_user"]` holds
"<id>:<session_version>" (never Flask-Login), so a staff session grants nothing here and a
portal session nothing on staff pages; signing out removes only this key."""

from __future__ import annotations

import functools

from flask import current_app, g, has_request_context, redirect, request, session, url_for

from app.htmx import hx_redirect
from app.models.service import PortalUser
from app.services import portal_accounts

SESSION_KEY = "portal_user"
LOCALE_KEY = "portal_locale"


def current_portal_user() -> PortalUser | None:
    """The signed-in portal user of this request, or None."""
    if "portal_user_loaded" not in g:
        g.portal_user_loaded = portal_accounts.load_session(session.get(SESSION_KEY))
    return g.portal_user_loaded


def sign_in(portal_user: PortalUser) -> None:
    session[SESSION_KEY] = portal_accounts.session_value(portal_user)
    session.pop(LOCALE_KEY, None)
    g.portal_user_loaded = portal_user


def sign_out() -> None:
    session.pop(SESSION_KEY, None)
    g.portal_user_loaded = None


def portal_login_required(view):
    """Send visitors without a portal session to the portal's sign-in page (htmx: by
    HX-Redirect, never a sign-in form inside a fragment)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_portal_user() is None:
            target = url_for("portal.login", next=request.full_path.rstrip("?"))
            if request.headers.get("HX-Request"):
                return hx_redirect(current_app.response_class(status=204), target)
            return redirect(target)
        return view(*args, **kwargs)

    return wrapped


def portal_locale() -> str | None:
    """On portal pages: the portal user's language, else the one chosen on the language
    switch; None elsewhere or when neither is known (the browser's language decides)."""
    if not has_request_context() or request.blueprint != "portal":
        return None
    languages = current_app.config["LANGUAGES"]
    user = current_portal_user()
    if user is not None and user.locale in languages:
        return user.locale
    chosen = session.get(LOCALE_KEY)
    return chosen if chosen in languages else None
