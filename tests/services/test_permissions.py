"""The permission layer, as a table: for every role, entity and action of the shipped
defaults, whether a user reaches their own record, a teammate's and a foreign one, and
which rows a real query keeps."""

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models import Role, RoleGrant, User
from app.permissions import Scope
from tests.factories import make_team, make_user

ACTIONS = ("read", "create", "edit", "delete")
STAFF = (Role.MANAGER, Role.SALES, Role.MARKETING, Role.SUPPORT)

# The shipped defaults, written out independently of app.permissions: read create edit delete.
DEFAULT_GRANTS = {
    "user": {role: "all none own none" for role in STAFF},
    "team": {role: "all none none none" for role in STAFF},
    "audit": {
        Role.MANAGER: "team none none none",
        Role.SALES: "none none none none",
        Role.MARKETING: "none none none none",
        Role.SUPPORT: "none none none none",
    },
    "job": {role: "own none none none" for role in STAFF},
}
# Administrators always have every right, whatever the table says.
for grants in DEFAULT_GRANTS.values():
    grants[Role.ADMIN] = "all all all all"

# Which records each scope reaches: the actor's own, a teammate's, someone else's.
REACHES = {
    "all": {"own", "teammate", "foreign"},
    "team": {"own", "teammate"},
    "own": {"own"},
    "none": set(),
}

CASES = [
    (role, entity, action, scope)
    for entity, grants in DEFAULT_GRANTS.items()
    for role, row in grants.items()
    for action, scope in zip(ACTIONS, row.split(), strict=True)
]


def case_id(case) -> str:
    role, entity, action, scope = case
    return f"{role.value}-{entity}-{action}-{scope}"


@pytest.fixture
def people():
    """An actor's world: a teammate in the same team and a stranger in another."""

    def build(role: Role):
        ours, theirs = make_team("Ours"), make_team("Theirs")
        return {
            "own": make_user(role=role, team=ours, name="Actor"),
            "teammate": make_user(role=Role.SALES, team=ours, name="Teammate"),
            "foreign": make_user(role=Role.SALES, team=theirs, name="Stranger"),
        }

    return build


def record_of(entity: str, owner: User) -> SimpleNamespace:
    """A stand-in record owned by `owner`, with the owner column the entity declares."""
    column = permissions.ENTITIES[entity].owner_column or "owner_id"
    return SimpleNamespace(**{column: owner.id})


def test_the_table_covers_every_role_and_action():
    assert len(CASES) == 4 * len(Role) * len(ACTIONS)
    for role, entity, action, scope in CASES:
        assert permissions.default_scope(role, entity, action) is Scope[scope.upper()]


@pytest.mark.parametrize("relation", ["own", "teammate", "foreign"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_can_reaches_records_as_the_scope_says(people, case, relation):
    role, entity, action, scope = case
    world = people(role)
    actor, owner = world["own"], world[relation]
    # An entity without an owner column (teams) has no "own" records: only "all" reaches one.
    ownerless = not permissions.ENTITIES[entity].owner_column and scope != "all"
    expected = relation in REACHES[scope] and not ownerless

    assert permissions.can(actor, action, entity, record_of(entity, owner)) is expected
    assert permissions.can(actor, action, entity) is (scope != "none")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_visible_keeps_the_rows_the_scope_reaches(people, case):
    role, entity, action, scope = case
    world = people(role)
    query = sa.select(User.name).where(permissions.visible(world["own"], entity, User.id, action))
    expected = {world[relation].name for relation in REACHES[scope]}
    assert set(db.session.execute(query).scalars()) == expected


def test_team_scope_without_a_team_reaches_only_ones_own_records():
    manager = make_user(role=Role.MANAGER, name="Loner")
    other = make_user(role=Role.SALES, name="Other")
    query = sa.select(User.name).where(permissions.visible(manager, "audit", User.id))
    assert set(db.session.execute(query).scalars()) == {"Loner"}
    assert permissions.can(manager, "read", "audit", SimpleNamespace(actor_id=manager.id))
    assert not permissions.can(manager, "read", "audit", SimpleNamespace(actor_id=other.id))


def test_deactivated_and_anonymous_users_have_no_rights():
    gone = make_user(role=Role.ADMIN, is_active=False)
    for user in (gone, None, SimpleNamespace(is_authenticated=False)):
        assert permissions.scope_for(user, "user", "read") is Scope.NONE
        assert not permissions.can(user, "read", "team")
    with pytest.raises(permissions.PermissionDenied):
        permissions.require_admin(gone)


def test_administrators_have_every_right_even_on_unregistered_entities():
    admin = make_user(role=Role.ADMIN)
    for action in ACTIONS:
        assert permissions.scope_for(admin, "anything-new", action) is Scope.ALL
    with pytest.raises(ValueError):
        permissions.set_grant(Role.ADMIN, "user", "read", Scope.NONE)


def test_an_override_replaces_the_default_until_set_back():
    seller = make_user(role=Role.SALES)
    permissions.set_grant(Role.SALES, "job", "read", Scope.TEAM)
    assert permissions.scope_for(seller, "job", "read") is Scope.TEAM
    assert permissions.scope_for(make_user(role=Role.SUPPORT), "job", "read") is Scope.OWN

    permissions.set_grant(Role.SALES, "job", "read", Scope.OWN)
    assert db.session.query(RoleGrant).count() == 0
    assert permissions.scope_for(seller, "job", "read") is Scope.OWN


def test_unknown_grants_are_refused():
    with pytest.raises(ValueError):
        permissions.set_grant(Role.SALES, "spaceship", "read", Scope.ALL)
    with pytest.raises(ValueError):
        permissions.set_grant(Role.SALES, "user", "launch", Scope.ALL)


@pytest.mark.parametrize("role", STAFF, ids=lambda r: r.value)
def test_only_administrators_change_grants(role):
    actor = make_user(role=role)
    with pytest.raises(permissions.PermissionDenied):
        permissions.change_grant(actor, Role.SALES, "job", "read", Scope.ALL)
    with pytest.raises(permissions.PermissionDenied):
        permissions.reset_grants(actor)
    assert db.session.query(RoleGrant).count() == 0


@pytest.mark.parametrize("actor_role", list(Role), ids=lambda r: r.value)
def test_only_administrators_assign_roles_and_never_above_their_own(actor_role):
    actor = make_user(role=actor_role)
    for role in Role:
        expected = actor_role is Role.ADMIN
        assert permissions.may_assign_role(actor, role) is expected


def test_a_trusted_manager_assigns_roles_up_to_their_own():
    permissions.set_grant(Role.MANAGER, "user", "edit", Scope.ALL)
    manager = make_user(role=Role.MANAGER)
    allowed = {role for role in Role if permissions.may_assign_role(manager, role)}
    assert allowed == {Role.MANAGER, Role.SALES, Role.MARKETING, Role.SUPPORT}
