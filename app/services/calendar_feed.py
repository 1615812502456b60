"""A user's tasks and meetings as an iCalendar (RFC 5545) feed behind a secret URL.

The token is an HMAC of the user id and `calendar_feed_version`, so it needs no storage
and regenerating (bumping the version) revokes every old URL at once. The text is written
by hand: CRLF line ends, lines folded at 75 octets, TEXT values escaped, times in UTC
(calendar apps show them in their own zone; X-WR-TIMEZONE names the user's).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app import timezones
from app.extensions import db
from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.models.base import utcnow
from app.models.identity import User

HISTORY_DAYS = 30
MAX_EVENTS = 2000
# Tasks have a due time, not a duration: shown as a short event at that time.
TASK_LENGTH = timedelta(minutes=30)
_FOLD_AT = 75


def token_for(user: User) -> str:
    """The secret part of `user`'s feed URL."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{user.id}:{user.calendar_feed_version}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def user_for_token(user_id: int, token: str) -> User | None:
    """The active user whose current feed token is `token`, else None."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return user if hmac.compare_digest(token_for(user), token or "") else None


def regenerate(user: User, actor) -> str:
    """Revoke `user`'s feed URL and return the new token (users change only their own)."""
    if actor is None or actor.id != user.id:
        from app.permissions import PermissionDenied

        raise PermissionDenied()
    user.calendar_feed_version = (user.calendar_feed_version or 0) + 1
    db.session.flush()
    return token_for(user)


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon, comma and newlines escaped (RFC 5545 3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into 75-octet pieces, never inside a UTF-8 character."""
    pieces, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        limit = _FOLD_AT if not pieces else _FOLD_AT - 1  # continuation lines start with a space
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def feed_items(user: User, now: datetime | None = None) -> list[Activity]:
    """`user`'s dated tasks and meetings from 30 days ago on, earliest first."""
    since = (now or utcnow()) - timedelta(days=HISTORY_DAYS)
    query = (
        sa.select(Activity)
        .where(
            Activity.owner_id == user.id,
            Activity.kind.in_((ActivityKind.TASK, ActivityKind.MEETING)),
            Activity.status != ActivityStatus.CANCELLED,
            Activity.due_at >= since,
        )
        .order_by(Activity.due_at, Activity.id)
        .limit(MAX_EVENTS)
    )
    return list(db.session.scalars(query))


def _event(activity: Activity, host: str, now: datetime) -> list[str]:
    start = activity.occurred_at if activity.kind is ActivityKind.MEETING else activity.due_at
    end = activity.ends_at or start + TASK_LENGTH
    lines = [
        "BEGIN:VEVENT",
        f"UID:activity-{activity.id}@{host}",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(end)}",
        f"SUMMARY:{escape_text(activity.subject)}",
        f"LAST-MODIFIED:{_stamp(activity.updated_at or now)}",
    ]
    if activity.description:
        lines.append(f"DESCRIPTION:{escape_text(activity.description)}")
    lines.append("END:VEVENT")
    return lines


def render(user: User, now: datetime | None = None) -> str:
    """The whole VCALENDAR text for `user`."""
    now = now or utcnow()
    host = current_app.config["BASE_URL"].split("://", 1)[-1].split("/", 1)[0] or "rapport"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Rapport//CRM//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text('Rapport · ' + user.name)}",
        # Times stay UTC ("Z"); this only tells calendar apps which zone the user lives in.
        f"X-WR-TIMEZONE:{timezones.zone_name(user)}",
    ]
    for activity in feed_items(user, now):
        lines.extend(_event(activity, host, now))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
