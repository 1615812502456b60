"""Portal accounts of customers' contacts: invitations, passwords (set from a signed link,
reset on request), sign-in with the staff sign-in's throttling, deactivation and the
company-admin flag. Separate from staff accounts: a portal user is never a `User`."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from app import permissions, queues
from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Contact
from app.models.service import PortalUser
from app.services import accounts
from app.services.accounts import SignInRefused, normalise_email
from app.services.after_commit import call_after_commit
from app.services.validation import RecordInvalid

__all__ = ["SignInRefused"]

INVITE_MAX_AGE = 7 * 24 * 3600
# Checked against when the account does not exist, so both answers take the same time.
_DUMMY_HASH = generate_password_hash("rapport-portal-timing-equaliser")
_SALTS = {"invite": "portal-invite", "reset": "portal-reset"}


def _serializer(kind: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALTS[kind])


def _max_age(kind: str) -> int:
    return INVITE_MAX_AGE if kind == "invite" else current_app.config["PASSWORD_RESET_MAX_AGE"]


def password_token(portal_user: PortalUser, kind: str = "invite") -> str:
    """A signed link token bound to the session version: setting a password ends it."""
    return _serializer(kind).dumps({"pid": portal_user.id, "v": portal_user.session_version})


def user_for_token(token: str) -> PortalUser | None:
    """The active portal user a valid, unused invitation or reset token names, else None."""
    for kind in _SALTS:
        try:
            data = _serializer(kind).loads(token, max_age=_max_age(kind))
        except (SignatureExpired, BadSignature):
            continue
        if not isinstance(data, dict) or not isinstance(data.get("pid"), int):
            return None
        user = db.session.get(PortalUser, data["pid"])
        if user is None or not user.is_active or user.session_version != data.get("v"):
            return None
        return user
    return None


def load_session(value) -> PortalUser | None:
    """The portal user a session's "id:version" names, if still active and current."""
    user_id, _, version = str(value or "").partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(PortalUser, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def session_value(portal_user: PortalUser) -> str:
    return f"{portal_user.id}:{portal_user.session_version}"


def contact_of(portal_user: PortalUser) -> Contact:
    return db.session.get(Contact, portal_user.contact_id)


def account_of(contact: Contact) -> PortalUser | None:
    return db.session.scalar(sa.select(PortalUser).where(PortalUser.contact_id == contact.id))


def _queue_link(portal_user: PortalUser, kind: str, actor) -> None:
    """Email the link once the transaction commits: the job reads the account back."""
    from app.jobs.portal import send_portal_password_link

    user_id = portal_user.id
    token = password_token(portal_user, kind)

    def queue() -> None:
        queues.enqueue_durably(
            send_portal_password_link,
            user_id,
            token,
            kind,
            actor=actor,
            title="Portal invitation email" if kind == "invite" else "Portal password reset",
            queue_name="mail",
        )

    call_after_commit(queue)


def invite(contact: Contact, actor) -> PortalUser:
    """Give `contact` a portal account (or reactivate theirs) and, after the commit, email
    them a link to choose a password, valid for 7 days."""
    permissions.require(actor, "create", "portal_user")
    email = normalise_email(contact.email)
    if not email:
        raise RecordInvalid({"email": gettext("Add an email address to the contact first.")})
    clash = db.session.scalar(
        sa.select(PortalUser.id).where(
            PortalUser.email == email, PortalUser.contact_id != contact.id
        )
    )
    if clash is not None:
        raise RecordInvalid(
            {"email": gettext("Another contact's portal account uses this email address.")}
        )
    portal_user = account_of(contact)
    if portal_user is None:
        locale = getattr(actor, "locale", None)
        portal_user = PortalUser(
            contact_id=contact.id,
            email=email,
            locale=locale if locale in current_app.config["LANGUAGES"] else "en",
        )
        db.session.add(portal_user)
    portal_user.email = email
    portal_user.is_active = True
    portal_user.invited_at = utcnow()
    db.session.flush()
    _queue_link(portal_user, "invite", actor)
    return portal_user


def set_password(token: str, password: str) -> PortalUser:
    """Choose a password through an invitation or reset link; the link works once, and
    every other portal session of the account ends."""
    portal_user = user_for_token(token)
    if portal_user is None:
        raise RecordInvalid(
            {"token": gettext("This link has expired or was already used. Ask for a new one.")}
        )
    try:
        accounts.check_password_strength(password)
    except accounts.AccountError as error:
        raise RecordInvalid({"password": str(error)}) from error
    portal_user.password_hash = generate_password_hash(password)
    portal_user.session_version += 1
    db.session.flush()
    return portal_user


def _failure_keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    config = current_app.config
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    keys = [(f"rapport:portal-login-fail:acct:{digest}", config["LOGIN_FAILURES_PER_ACCOUNT"])]
    if ip:
        keys.append((f"rapport:portal-login-fail:ip:{ip}", config["LOGIN_FAILURES_PER_IP"]))
    return keys


def authenticate(email: str, password: str, ip: str | None = None) -> PortalUser:
    """The active portal user with these credentials, or SignInRefused (one message for
    every failure, the same time for unknown addresses; throttled per account and per IP)."""
    email = normalise_email(email)
    keys = _failure_keys(email, ip)
    if accounts.is_throttled(keys):
        raise SignInRefused("Too many failed sign-in attempts. Try again later.")
    user = db.session.scalar(sa.select(PortalUser).where(PortalUser.email == email))
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password or "") and user.is_active
    if not ok:
        accounts.record_failure(keys)
        raise SignInRefused("Invalid email or password.")
    accounts.forget_failures(keys[0][0])
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def request_reset(email: str) -> None:
    """Email a reset link when an active account with a password exists; callers answer
    the same either way."""
    email = normalise_email(email)
    user = db.session.scalar(
        sa.select(PortalUser).where(PortalUser.email == email, PortalUser.is_active.is_(True))
    )
    if user is not None:
        _queue_link(user, "reset", actor=None)


def deactivate(portal_user: PortalUser, actor) -> PortalUser:
    """Stop the account signing in; its sessions and links end at once."""
    permissions.require(actor, "edit", "portal_user", portal_user)
    if portal_user.is_active:
        portal_user.is_active = False
        portal_user.session_version += 1
        db.session.flush()
    return portal_user


def set_company_admin(portal_user: PortalUser, actor, is_admin: bool) -> PortalUser:
    """A company admin sees every ticket, quote and order of their customer."""
    permissions.require(actor, "edit", "portal_user", portal_user)
    portal_user.is_company_admin = bool(is_admin)
    db.session.flush()
    return portal_user


def set_locale(portal_user: PortalUser, locale: str) -> None:
    """The portal user's own language choice (the portal's language switch)."""
    if locale in current_app.config["LANGUAGES"] and portal_user.locale != locale:
        portal_user.locale = locale
        db.session.flush()
