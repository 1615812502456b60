"""The audit trail: every change to an audited record leaves a row saying who changed what."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm.attributes import flag_modified

from app.audit import SECRET, set_actor
from app.extensions import db
from app.models.base import JSONType, utcnow
from app.models.identity import Role, Team
from app.models.records import AuditAction, AuditEntry, CustomField, FieldType, Tag, Tagging
from app.permissions import PermissionDenied
from app.services import accounts, history
from tests.factories import make_team, make_user


def _entries(entity_type=None, entity_id=None):
    query = sa.select(AuditEntry).order_by(AuditEntry.id)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == str(entity_id))
    return db.session.execute(query).scalars().all()


@pytest.fixture
def admin():
    user = make_user(Role.ADMIN, email="boss@example.com", name="Bea Boss")
    set_actor(db.session, user, source="web", ip="203.0.113.5")
    return user


def test_creating_a_user_records_every_field_and_who_did_it(admin):
    team = make_team("Northwind")
    user = accounts.create_user(
        actor=admin,
        email="new@example.com",
        name="Nora New",
        role=Role.SALES,
        password="a long enough password",
        team=team,
    )
    db.session.commit()

    (entry,) = _entries("users", user.id)
    assert entry.action is AuditAction.CREATE
    assert entry.label == "Nora New"
    assert (entry.actor_id, entry.actor_label, entry.source, entry.ip) == (
        admin.id,
        "boss@example.com",
        "web",
        "203.0.113.5",
    )
    assert entry.changes["email"] == [None, "new@example.com"]
    assert entry.changes["role"] == [None, "sales"]
    assert entry.changes["team_id"] == [None, team.id]


def test_password_hash_is_recorded_as_changed_but_never_written(admin):
    user = make_user(email="rep@example.com")
    old_hash = user.password_hash
    accounts.reset_password(user, "another long password")
    db.session.commit()

    created, updated = _entries("users", user.id)
    assert created.changes["password_hash"] == [None, SECRET]
    assert updated.action is AuditAction.UPDATE
    assert updated.changes["password_hash"] == [SECRET, SECRET]
    stored = str(created.changes) + str(updated.changes)
    assert old_hash not in stored and user.password_hash not in stored


def test_update_after_commit_records_the_value_before(admin):
    """Objects expire on commit: the old value must still reach the audit row."""
    user = make_user(name="Old Name")
    db.session.commit()
    user.name = "New Name"
    db.session.commit()

    updated = _entries("users", user.id)[-1]
    assert updated.action is AuditAction.UPDATE
    assert updated.changes == {"name": ["Old Name", "New Name"]}
    assert updated.label == "New Name"


def test_sign_in_time_is_not_worth_a_row(admin):
    user = make_user()
    before = len(_entries("users", user.id))
    user.last_login_at = utcnow()
    db.session.commit()
    assert len(_entries("users", user.id)) == before


def test_unchanged_assignment_leaves_no_row(admin):
    team = make_team("Same")
    db.session.commit()
    team.name = "Same"
    db.session.commit()
    assert len(_entries("teams", team.id)) == 1


def test_team_update_and_delete_keep_before_values(admin):
    team = make_team("Sales East")
    db.session.commit()
    team.description = "East coast accounts"
    db.session.commit()
    team_id = team.id
    db.session.delete(db.session.get(Team, team_id))
    db.session.commit()

    created, updated, deleted = _entries("teams", team_id)
    assert created.changes == {"name": [None, "Sales East"]}  # empty fields are not changes
    assert updated.changes == {"description": ["", "East coast accounts"]}
    assert deleted.action is AuditAction.DELETE
    assert deleted.label == "Sales East"
    assert deleted.changes["name"] == ["Sales East", None]
    assert deleted.changes["description"] == ["East coast accounts", None]


def test_deleting_an_expired_user_still_records_its_values(admin):
    user = make_user(name="Gone Soon", email="gone@example.com")
    db.session.commit()
    db.session.delete(user)
    db.session.commit()

    deleted = _entries("users", user.id)[-1]
    assert deleted.action is AuditAction.DELETE
    assert deleted.label == "Gone Soon"
    assert deleted.changes["email"] == ["gone@example.com", None]
    assert deleted.changes["password_hash"] == [SECRET, None]


def test_custom_field_definitions_are_audited(admin):
    field = CustomField(
        entity_type="customers", key="industry", label="Industry", field_type=FieldType.TEXT
    )
    db.session.add(field)
    db.session.commit()
    field.label = "Sector"
    db.session.commit()

    created, updated = _entries("custom_fields", field.id)
    assert created.changes["field_type"] == [None, "text"]
    assert updated.changes == {"label": ["Industry", "Sector"]}


def test_tagging_a_record_is_an_update_of_that_record(admin):
    user = make_user(name="Tagged Person")
    vip = Tag(name="VIP")
    db.session.add(vip)
    db.session.flush()
    db.session.add(Tagging(tag=vip, entity_type="users", entity_id=user.id))
    db.session.commit()

    tag_entries = [e for e in _entries("users", user.id) if "tags" in e.changes]
    assert [(e.action, e.changes) for e in tag_entries] == [
        (AuditAction.UPDATE, {"tags": [None, "VIP"]})
    ]
    assert tag_entries[0].label == "Tagged Person"
    assert _entries("tags", vip.id)[0].changes["name"] == [None, "VIP"]

    tagging = db.session.execute(sa.select(Tagging)).scalar_one()
    db.session.delete(tagging)
    db.session.commit()
    removed = _entries("users", user.id)[-1]
    assert (removed.action, removed.changes) == (AuditAction.UPDATE, {"tags": ["VIP", None]})


class _ScratchBase(DeclarativeBase):
    pass


class Note(_ScratchBase):
    """A throwaway audited record with custom fields, standing in for business records."""

    __tablename__ = "audit_test_notes"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(80))
    custom: Mapped[dict] = mapped_column(JSONType, default=dict)

    def __str__(self) -> str:
        return self.title


@pytest.fixture
def notes_table():
    _ScratchBase.metadata.create_all(db.engine)
    yield
    db.session.rollback()
    _ScratchBase.metadata.drop_all(db.engine)


def test_custom_values_are_recorded_per_key(admin, notes_table):
    note = Note(title="Plan", custom={"industry": "Retail", "size": 10})
    db.session.add(note)
    db.session.commit()
    note.custom = {"industry": "Banking", "size": 10, "region": "EU"}
    db.session.commit()
    note.custom = {"industry": "Banking", "size": 10}
    db.session.commit()

    created, changed, removed = _entries("audit_test_notes", note.id)
    assert created.changes == {
        "title": [None, "Plan"],
        "custom.industry": [None, "Retail"],
        "custom.size": [None, 10],
    }
    assert changed.changes == {
        "custom.industry": ["Retail", "Banking"],
        "custom.region": [None, "EU"],
    }
    assert removed.changes == {"custom.region": ["EU", None]}


def test_custom_values_changed_in_place_keep_their_old_value(admin, notes_table):
    note = Note(title="Plan", custom={"size": 10})
    db.session.add(note)
    db.session.commit()
    note.custom["size"] = 11
    flag_modified(note, "custom")
    db.session.commit()

    assert _entries("audit_test_notes", note.id)[-1].changes == {"custom.size": [10, 11]}


def test_without_an_actor_the_system_is_the_author():
    db.session.info.pop("actor", None)
    team = make_team("Robots")
    db.session.commit()
    (entry,) = _entries("teams", team.id)
    assert (entry.actor_id, entry.actor_label, entry.source) == (None, "system", "system")


# Reading the trail back: one record's history and the global, filtered log.


def _rename(team, *names):
    for name in names:
        team.name = name
        db.session.commit()


def test_record_history_pages_newest_first(admin):
    team = make_team("v0")
    db.session.commit()
    _rename(team, "v1", "v2", "v3", "v4")

    first = history.record_history("teams", team.id, limit=2)
    assert [e.changes["name"][1] for e in first.entries] == ["v4", "v3"]
    assert first.has_more
    second = history.record_history("teams", team.id, before_id=first.next_before_id, limit=2)
    assert [e.changes["name"][1] for e in second.entries] == ["v2", "v1"]
    last = history.record_history("teams", team.id, before_id=second.next_before_id, limit=2)
    assert [e.action for e in last.entries] == [AuditAction.CREATE]
    assert not last.has_more


def test_search_filters_by_type_action_actor_and_text(admin):
    other_admin = make_user(Role.ADMIN, name="Second Admin")
    set_actor(db.session, admin, source="web")
    make_team("Alpha Squad")
    db.session.commit()
    set_actor(db.session, other_admin, source="api")
    beta = make_team("Beta Squad")
    db.session.commit()
    beta.description = "changed"
    db.session.commit()

    def labels(**criteria):
        page = history.search(admin, history.Filters(**criteria))
        return [(e.entity_type, e.label, e.action.value) for e in page.entries]

    assert labels(entity_type="teams") == [
        ("teams", "Beta Squad", "update"),
        ("teams", "Beta Squad", "create"),
        ("teams", "Alpha Squad", "create"),
    ]
    assert labels(entity_type="teams", action=AuditAction.UPDATE) == [
        ("teams", "Beta Squad", "update")
    ]
    assert labels(actor_id=admin.id, entity_type="teams") == [("teams", "Alpha Squad", "create")]
    assert labels(text="alpha") == [("teams", "Alpha Squad", "create")]
    assert labels(entity_type="teams", entity_id=str(beta.id))[-1][2] == "create"
    assert labels(text="100%_") == []


def test_search_date_range_is_whole_days_in_the_readers_zone(admin):
    team = make_team("Dated")
    db.session.commit()
    entry = _entries("teams", team.id)[0]
    entry.at = datetime(2024, 3, 10, 23, 59, tzinfo=UTC)
    db.session.commit()

    def found(date_from=None, date_to=None, zone="UTC"):
        filters = history.Filters(
            entity_type="teams", date_from=date_from, date_to=date_to, time_zone=zone
        )
        return len(history.search(admin, filters).entries)

    assert found(date(2024, 3, 10), date(2024, 3, 10)) == 1
    assert found(date_to=date(2024, 3, 9)) == 0
    assert found(date_from=date(2024, 3, 11)) == 0
    # 23:59 UTC is 07:59 on the 11th in Taipei.
    assert found(date(2024, 3, 11), date(2024, 3, 11), zone="Asia/Taipei") == 1
    assert found(date_to=date(2024, 3, 10), zone="Asia/Taipei") == 0


def test_search_pages_with_a_keyset(admin):
    for n in range(5):
        make_team(f"Page team {n}")
    db.session.commit()
    filters = history.Filters(entity_type="teams")
    first = history.search(admin, filters, limit=3)
    second = history.search(admin, filters, before_id=first.next_before_id, limit=3)
    names = [e.label for e in first.entries + second.entries]
    assert names == [f"Page team {n}" for n in reversed(range(5))]
    assert first.has_more and not second.has_more


def test_managers_see_their_teams_changes_and_sales_see_none(admin):
    north, south = make_team("North"), make_team("South")
    manager = make_user(Role.MANAGER, team=north)
    colleague = make_user(Role.SALES, team=north)
    stranger = make_user(Role.SALES, team=south)
    for author, name in ((colleague, "by colleague"), (stranger, "by stranger")):
        set_actor(db.session, author, source="web")
        make_team(name)
        db.session.commit()

    page = history.search(manager, history.Filters(entity_type="teams"))
    assert [e.label for e in page.entries] == ["by colleague"]
    with pytest.raises(PermissionDenied):
        history.search(colleague, history.Filters())


def test_filters_survive_the_trip_through_a_job():
    filters = history.Filters(
        entity_type="users",
        action=AuditAction.DELETE,
        actor_id=7,
        date_from=date(2024, 1, 1),
        date_to=date(2024, 1, 31),
        entity_id="12",
        text="x",
    )
    assert history.Filters.from_dict(filters.as_dict()) == filters


def test_users_and_teams_have_history_panels():
    user = make_user()
    assert history.record_type("users").permission_entity == "user"
    assert history.record_type("teams").permission_entity == "team"
    assert history.find_record("users", str(user.id)) == user
    assert history.find_record("users", "not-a-number") is None
    assert history.find_record("invoices", "1") is None
