"""Staff users over the API: who am I, list, show, create (administrators), change.

The same rules as the admin pages: reads go through permissions.visible, writes through
app.services.accounts, which refuses what the actor may not do (roles, teams, access).
"""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from flask_smorest import abort

from app import permissions
from app.blueprints.api.auth import acting_user, current_token
from app.blueprints.api.blueprint import ApiBlueprint
from app.blueprints.api.errors import field_error_response
from app.blueprints.api.pagination import ListArgs, paginate, paginated
from app.extensions import db
from app.models.identity import Role, Team, TokenScope, User
from app.services import accounts

bp = ApiBlueprint("api_users", __name__, tag="Users", description="Staff users.")
bp.register_error_handler(accounts.AccountError, field_error_response)


def _known_locale(value: str) -> None:
    if value not in current_app.config["LANGUAGES"]:
        raise ma.ValidationError(gettext("Not a supported language."))


_TIME_ZONE_HELP = (
    "An IANA time zone name, like Asia/Taipei: the user's days and the times the web pages "
    "and emails show them. The API itself always speaks ISO 8601 with an offset, and reads "
    "a time sent without one as UTC, whatever this zone is."
)


class UserSchema(ma.Schema):
    """A staff user as the API shows it: never the password hash or session data."""

    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.Email()
    name = ma.fields.String()
    role = ma.fields.Enum(Role, by_value=True)
    team_id = ma.fields.Integer(allow_none=True)
    locale = ma.fields.String()
    time_zone = ma.fields.String(metadata={"description": _TIME_ZONE_HELP})
    is_active = ma.fields.Boolean()
    last_login_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class TokenInfoSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    scope = ma.fields.Enum(TokenScope, by_value=True)


class MeSchema(ma.Schema):
    user = ma.fields.Nested(UserSchema, metadata={"description": "Who the token acts as."})
    token = ma.fields.Nested(TokenInfoSchema, metadata={"description": "The token in use."})


class UserFilters(ListArgs):
    role = ma.fields.Enum(Role, by_value=True)
    team_id = ma.fields.Integer()
    is_active = ma.fields.Boolean()
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=100),
        metadata={"description": "Part of the name or email address."},
    )


class UserCreateSchema(ma.Schema):
    email = ma.fields.Email(required=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    role = ma.fields.Enum(Role, by_value=True, load_default=Role.SALES)
    password = ma.fields.String(required=True, load_only=True)
    team_id = ma.fields.Integer(allow_none=True, load_default=None)
    locale = ma.fields.String(load_default="en", validate=_known_locale)
    time_zone = ma.fields.String(
        load_default=None, metadata={"description": "Defaults to the server's default zone."}
    )


class UserUpdateSchema(ma.Schema):
    """What PATCH may change; role, team and access only for those who manage users."""

    email = ma.fields.Email()
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=120))
    role = ma.fields.Enum(Role, by_value=True)
    team_id = ma.fields.Integer(allow_none=True)
    locale = ma.fields.String(validate=_known_locale)
    time_zone = ma.fields.String()
    is_active = ma.fields.Boolean()


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = db.session.get(Team, team_id)
    if team is None:
        abort(422, errors={"json": {"team_id": [gettext("No such team.")]}})
    return team


def _visible_user(user_id: int) -> User:
    actor = acting_user()
    user = db.session.scalars(
        sa.select(User).where(User.id == user_id, permissions.visible(actor, "user", User.id))
    ).one_or_none()
    if user is None:
        abort(404, message=gettext("No such user."))
    return user


@bp.get("/me")
@bp.response(200, MeSchema)
def me():
    """The user this token acts as, and the token itself."""
    return {"user": acting_user(), "token": current_token()}


@bp.get("/users")
@paginated(bp, UserFilters, UserSchema)
def index(args):
    """Users the caller may see, filtered by role, team, access or a search text."""
    query = sa.select(User).where(permissions.visible(acting_user(), "user", User.id))
    if "role" in args:
        query = query.where(User.role == args["role"])
    if "team_id" in args:
        query = query.where(User.team_id == args["team_id"])
    if "is_active" in args:
        query = query.where(User.is_active.is_(args["is_active"]))
    if "q" in args:
        text = args["q"]
        query = query.where(
            sa.or_(
                User.name.icontains(text, autoescape=True),
                User.email.icontains(text, autoescape=True),
            )
        )
    return paginate(query, User.id, args)


@bp.get("/users/<int:user_id>")
@bp.response(200, UserSchema)
def show(user_id: int):
    """One user."""
    return _visible_user(user_id)


@bp.post("/users")
@bp.arguments(UserCreateSchema)
@bp.response(201, UserSchema)
def create(data):
    """Create a user (administrators; never a role above the caller's own)."""
    data["team"] = _team(data.pop("team_id"))
    user = accounts.create_user(actor=acting_user(), **data)
    db.session.commit()
    return user


@bp.patch("/users/<int:user_id>")
@bp.arguments(UserUpdateSchema)
@bp.response(200, UserSchema)
def update(changes, user_id: int):
    """Change a user's details; only the fields sent change."""
    user = _visible_user(user_id)
    if "team_id" in changes:
        changes["team"] = _team(changes.pop("team_id"))
    accounts.update_user(user, actor=acting_user(), **changes)
    db.session.commit()
    return user
