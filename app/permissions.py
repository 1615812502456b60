"""The one place that answers "may this user do this to that record" and "which rows may
this user see". Views, the JSON API, jobs and CLI commands all call it.

Every role has a scope per (entity, action): none, own, team or all. The defaults below
are what a new installation ships; administrators override them on the roles page
(stored as RoleGrant rows). Administrators always have every right, so nobody can lock
the installation out of its own settings.
"""

from __future__ import annotations

import dataclasses
import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import Forbidden

from app.extensions import db
from app.models.identity import Role, RoleGrant, User

ACTIONS = ("read", "create", "edit", "delete")


class Scope(enum.IntEnum):
    NONE = 0
    OWN = 1
    TEAM = 2
    ALL = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class PermissionDenied(Forbidden):
    description = "You do not have permission to do that."


@dataclasses.dataclass(frozen=True)
class Entity:
    """A kind of record the permission layer knows, and whose column says who owns a row."""

    name: str
    label: str  # lazy_gettext, so templates show it in the user's language
    owner_column: str = "owner_id"
    # Records that sit in a team's queue (tickets): with the TEAM scope, a record of the
    # user's team, or an unassigned one in no team's queue, is theirs to work too.
    team_column: str = ""


def _scopes(read: str, create: str, edit: str, delete: str) -> dict[str, Scope]:
    return {
        action: Scope[value.upper()]
        for action, value in zip(ACTIONS, (read, create, edit, delete), strict=True)
    }


_ADMIN_ONLY = _scopes("none", "none", "none", "none")
_STAFF_RECORD = {
    Role.MANAGER: _scopes("team", "all", "team", "team"),
    Role.SALES: _scopes("own", "all", "own", "own"),
    Role.MARKETING: _scopes("team", "all", "own", "own"),
    Role.SUPPORT: _scopes("team", "all", "own", "none"),
}

# Entities are registered here as their modules land; each names its default scopes.
ENTITIES: dict[str, Entity] = {}
DEFAULTS: dict[str, dict[Role, dict[str, Scope]]] = {}


def register_entity(entity: Entity, defaults: dict[Role, dict[str, Scope]]) -> Entity:
    ENTITIES[entity.name] = entity
    DEFAULTS[entity.name] = defaults
    return entity


register_entity(
    Entity("user", _l("Users"), owner_column="id"),
    {
        Role.MANAGER: _scopes("all", "none", "own", "none"),
        Role.SALES: _scopes("all", "none", "own", "none"),
        Role.MARKETING: _scopes("all", "none", "own", "none"),
        Role.SUPPORT: _scopes("all", "none", "own", "none"),
    },
)
register_entity(
    Entity("team", _l("Teams"), owner_column=""),
    {role: _scopes("all", "none", "none", "none") for role in Role if role is not Role.ADMIN},
)
register_entity(
    Entity("audit", _l("Audit log"), owner_column="actor_id"),
    {Role.MANAGER: _scopes("team", "none", "none", "none")}
    | {role: _ADMIN_ONLY for role in (Role.SALES, Role.MARKETING, Role.SUPPORT)},
)
register_entity(
    Entity("custom_field", _l("Custom fields"), owner_column=""),
    {role: _scopes("all", "none", "none", "none") for role in Role if role is not Role.ADMIN},
)
register_entity(
    Entity("tag", _l("Tags"), owner_column=""),
    {role: _scopes("all", "all", "none", "none") for role in Role if role is not Role.ADMIN},
)
register_entity(
    Entity("job", _l("Background jobs"), owner_column="user_id"),
    {role: _scopes("own", "none", "none", "none") for role in Role if role is not Role.ADMIN},
)
register_entity(Entity("customer", _l("Customers")), _STAFF_RECORD)
register_entity(Entity("contact", _l("Contacts")), _STAFF_RECORD)
register_entity(Entity("activity", _l("Activities")), _STAFF_RECORD)
register_entity(
    Entity("lead", _l("Leads")),
    {
        Role.MANAGER: _scopes("team", "all", "team", "team"),
        Role.SALES: _scopes("own", "all", "own", "own"),
        Role.MARKETING: _scopes("team", "all", "team", "own"),
        Role.SUPPORT: _ADMIN_ONLY,
    },
)
# The catalogue: everyone reads it, managers keep it.
_CATALOGUE = {
    Role.MANAGER: _scopes("all", "all", "all", "all"),
    Role.SALES: _scopes("all", "none", "none", "none"),
    Role.MARKETING: _scopes("all", "none", "none", "none"),
    Role.SUPPORT: _scopes("all", "none", "none", "none"),
}
register_entity(
    Entity("opportunity", _l("Opportunities")),
    {
        Role.MANAGER: _scopes("team", "all", "team", "team"),
        Role.SALES: _scopes("own", "all", "own", "own"),
        Role.MARKETING: _scopes("team", "none", "none", "none"),
        Role.SUPPORT: _scopes("team", "none", "none", "none"),
    },
)
# Quotes and orders follow their deals: reps work their own, managers their team's.
_SALES_DOCUMENT = {
    Role.MANAGER: _scopes("team", "all", "team", "team"),
    Role.SALES: _scopes("own", "all", "own", "own"),
    Role.MARKETING: _scopes("team", "none", "none", "none"),
    Role.SUPPORT: _scopes("team", "none", "none", "none"),
}
register_entity(Entity("quote", _l("Quotes")), _SALES_DOCUMENT)
register_entity(Entity("order", _l("Orders")), _SALES_DOCUMENT)
# Quotas: a rep sees their own, managers set them.
register_entity(
    Entity("sales_target", _l("Sales targets"), owner_column="user_id"),
    {
        Role.MANAGER: _scopes("all", "all", "all", "all"),
        Role.SALES: _scopes("own", "none", "none", "none"),
        Role.MARKETING: _ADMIN_ONLY,
        Role.SUPPORT: _ADMIN_ONLY,
    },
)
# Tickets: the assignee is the owner. Agents work their team's queue; sales reps read
# their team's tickets (their customers' problems) and may log one.
register_entity(
    Entity("ticket", _l("Tickets"), team_column="team_id"),
    {
        Role.MANAGER: _scopes("team", "all", "team", "team"),
        Role.SUPPORT: _scopes("team", "all", "team", "none"),
        Role.SALES: _scopes("team", "all", "own", "none"),
        Role.MARKETING: _scopes("none", "none", "none", "none"),
    },
)
# The knowledge base: everyone reads it, agents and managers write it.
register_entity(
    Entity("kb_article", _l("Knowledge base")),
    {
        Role.MANAGER: _scopes("all", "all", "all", "all"),
        Role.SUPPORT: _scopes("all", "all", "all", "own"),
        Role.SALES: _scopes("all", "none", "none", "none"),
        Role.MARKETING: _scopes("all", "all", "own", "own"),
    },
)
# Service settings (categories, SLA policies, calendars): managers keep them.
register_entity(Entity("service_settings", _l("Service settings"), owner_column=""), _CATALOGUE)
# Customer portal accounts, and survey answers.
register_entity(
    Entity("portal_user", _l("Portal accounts"), owner_column=""),
    {
        Role.MANAGER: _scopes("all", "all", "all", "all"),
        Role.SUPPORT: _scopes("all", "all", "all", "none"),
        Role.SALES: _scopes("all", "none", "none", "none"),
        Role.MARKETING: _ADMIN_ONLY,
    },
)
register_entity(
    Entity("survey", _l("Satisfaction surveys"), owner_column=""),
    {
        Role.MANAGER: _scopes("all", "all", "all", "all"),
        Role.SUPPORT: _scopes("all", "none", "none", "none"),
        Role.SALES: _scopes("all", "none", "none", "none"),
        Role.MARKETING: _scopes("all", "all", "none", "none"),
    },
)
# Marketing: the marketing team builds audiences, templates and campaigns; managers too;
# sales reps read campaigns (their leads come from them).
_MARKETING = {
    Role.MANAGER: _scopes("all", "all", "all", "all"),
    Role.MARKETING: _scopes("all", "all", "all", "own"),
    Role.SALES: _scopes("all", "none", "none", "none"),
    Role.SUPPORT: _ADMIN_ONLY,
}
register_entity(Entity("segment", _l("Segments")), _MARKETING)
register_entity(Entity("email_template", _l("Email templates")), _MARKETING)
register_entity(Entity("campaign", _l("Campaigns")), _MARKETING)
register_entity(Entity("web_form", _l("Web forms")), _MARKETING)
register_entity(Entity("sequence", _l("Sequences")), _MARKETING)
register_entity(Entity("pipeline", _l("Pipelines"), owner_column=""), _CATALOGUE)
register_entity(Entity("product", _l("Products"), owner_column=""), _CATALOGUE)
register_entity(Entity("price_book", _l("Price books"), owner_column=""), _CATALOGUE)
# Reports built in the report builder: everyone makes their own and may share them with
# their team; managers see and keep their team's. (The standard reports need no grant of
# their own: each shows the figures of the records its reader may read.)
register_entity(
    Entity("report", _l("Custom reports")),
    {
        Role.MANAGER: _scopes("team", "all", "team", "team"),
        Role.SALES: _scopes("own", "all", "own", "own"),
        Role.MARKETING: _scopes("own", "all", "own", "own"),
        Role.SUPPORT: _scopes("own", "all", "own", "own"),
    },
)
# Monthly sales costs (for acquisition cost): managers enter them.
register_entity(
    Entity("sales_cost", _l("Sales costs"), owner_column=""),
    {Role.MANAGER: _scopes("all", "all", "all", "all")}
    | {role: _ADMIN_ONLY for role in (Role.SALES, Role.MARKETING, Role.SUPPORT)},
)
register_entity(
    Entity("assignment_rule", _l("Lead assignment rules"), owner_column=""),
    {Role.MANAGER: _scopes("all", "all", "all", "all")}
    | {role: _ADMIN_ONLY for role in (Role.SALES, Role.MARKETING, Role.SUPPORT)},
)
# A person's data export (GDPR access requests): "read" lets a role export the data of
# the people whose records it may read. Administrators only by default; erasure always is.
register_entity(
    Entity("personal_data", _l("Personal data export"), owner_column=""),
    {role: _ADMIN_ONLY for role in Role if role is not Role.ADMIN},
)


def default_scope(role: Role, entity: str, action: str) -> Scope:
    if role is Role.ADMIN:
        return Scope.ALL
    return DEFAULTS.get(entity, {}).get(role, {}).get(action, Scope.NONE)


def _overrides() -> dict[tuple[Role, str, str], Scope]:
    cache = db.session.info.get("role_grants")
    if cache is None:
        rows = db.session.execute(sa.select(RoleGrant)).scalars()
        cache = {(g.role, g.entity, g.action): Scope[g.scope.upper()] for g in rows}
        db.session.info["role_grants"] = cache
    return cache


def forget_cached_grants() -> None:
    db.session.info.pop("role_grants", None)


def scope_for(user, entity: str, action: str) -> Scope:
    """The widest scope `user` has for `action` on `entity` (NONE for anonymous users)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope.NONE
    return role_scope(user.role, entity, action)


def role_scope(role: Role, entity: str, action: str) -> Scope:
    """The scope `role` has now for (entity, action): an administrator's override, else the
    default."""
    if role is Role.ADMIN:
        return Scope.ALL
    override = _overrides().get((role, entity, action))
    return override if override is not None else default_scope(role, entity, action)


def _owner_id(entity: str, record) -> int | None:
    column = ENTITIES[entity].owner_column
    return getattr(record, column, None) if column else None


def can(user, action: str, entity: str, record=None) -> bool:
    """Whether `user` may do `action` on `entity` (on `record`, when one is given)."""
    scope = scope_for(user, entity, action)
    if scope is Scope.NONE:
        return False
    if record is None or scope is Scope.ALL:
        return True
    owner_id = _owner_id(entity, record)
    if owner_id == user.id:
        return True
    if scope is not Scope.TEAM:
        return False
    team_column = ENTITIES[entity].team_column
    if team_column:
        team_id = getattr(record, team_column, None)
        if (team_id is not None and team_id == user.team_id) or (
            team_id is None and owner_id is None
        ):
            return True
    if owner_id is not None and user.team_id is not None:
        owner = db.session.get(User, owner_id)
        return owner is not None and owner.team_id == user.team_id
    return False


def require(user, action: str, entity: str, record=None) -> None:
    """Raise PermissionDenied (a 403) unless `user` may do `action` on `entity`/`record`."""
    if not can(user, action, entity, record):
        raise PermissionDenied()


def visible(user, entity: str, owner_column, action: str = "read", team_column=None):
    """A WHERE clause keeping only rows of `entity` that `user` may `action`; for entities
    kept in team queues, pass the model's `team_column` too (see Entity.team_column)."""
    scope = scope_for(user, entity, action)
    if scope is Scope.ALL:
        return sa.true()
    if scope is Scope.NONE:
        return sa.false()
    if scope is Scope.TEAM:
        allowed = [owner_column == user.id]
        if user.team_id is not None:
            team = sa.select(User.id).where(User.team_id == user.team_id)
            allowed.append(owner_column.in_(team))
        if team_column is not None:
            allowed.append(sa.and_(team_column.is_(None), owner_column.is_(None)))
            if user.team_id is not None:
                allowed.append(team_column == user.team_id)
        return sa.or_(*allowed)
    return owner_column == user.id


def require_admin(user) -> None:
    """Administration pages are for the administrator role only."""
    if not (getattr(user, "is_authenticated", False) and user.is_active and user.is_admin):
        raise PermissionDenied()


def may_assign_role(actor, role: Role) -> bool:
    """Nobody grants a role above their own; only administrators manage users at all."""
    return scope_for(actor, "user", "edit") is Scope.ALL and role.rank <= actor.role.rank


def set_grant(role: Role, entity: str, action: str, scope: Scope) -> None:
    """Store an override of a role's scope (the admin role cannot be narrowed)."""
    if role is Role.ADMIN:
        raise ValueError("The administrator role always has every right.")
    if entity not in ENTITIES or action not in ACTIONS:
        raise ValueError(f"Unknown permission {entity}.{action}")
    grant = db.session.get(RoleGrant, (role, entity, action))
    if scope == default_scope(role, entity, action):
        if grant is not None:
            db.session.delete(grant)
    elif grant is None:
        db.session.add(RoleGrant(role=role, entity=entity, action=action, scope=scope.label))
    else:
        grant.scope = scope.label
    db.session.flush()
    forget_cached_grants()


def change_grant(actor, role: Role, entity: str, action: str, scope: Scope) -> None:
    """Set a role's scope on behalf of `actor`, who must be an administrator."""
    require_admin(actor)
    set_grant(role, entity, action, scope)


def change_grants(actor, wanted: dict[tuple[Role, str, str], Scope]) -> int:
    """Apply a whole matrix of (role, entity, action) -> scope; returns how many changed."""
    require_admin(actor)
    changed = [key for key, scope in wanted.items() if role_scope(*key) != scope]
    for role, entity, action in changed:
        set_grant(role, entity, action, wanted[(role, entity, action)])
    return len(changed)


def reset_grants(actor) -> int:
    """Return every role to the shipped defaults by deleting all overrides (each audited)."""
    require_admin(actor)
    grants = db.session.execute(sa.select(RoleGrant)).scalars().all()
    for grant in grants:
        db.session.delete(grant)
    db.session.flush()
    forget_cached_grants()
    return len(grants)
