"""The iCalendar feed (no login: the secret URL is the credential) and its profile panel."""

from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.blueprints.activities import bp
from app.extensions import db
from app.services import calendar_feed


@bp.app_context_processor
def _feed_url():
    def calendar_feed_url(user) -> str:
        """The absolute feed URL, on BASE_URL so it works from calendar apps elsewhere."""
        path = url_for("activities.calendar", user_id=user.id, token=calendar_feed.token_for(user))
        return current_app.config["BASE_URL"].rstrip("/") + path

    return {"calendar_feed_url": calendar_feed_url}


@bp.get("/calendar/<int:user_id>/<token>.ics")
def calendar(user_id: int, token: str):
    user = calendar_feed.user_for_token(user_id, token)
    if user is None:
        abort(404)
    response = make_response(calendar_feed.render(user))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="rapport.ics"'
    # A secret URL: keep it out of shared caches and referrers.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/profile/calendar-feed")
@login_required
def regenerate_calendar_feed():
    calendar_feed.regenerate(current_user, current_user)
    db.session.commit()
    flash(_("Your calendar feed has a new address; the old one no longer works."), "success")
    return redirect(url_for("auth.profile") + "#calendar-feed")
