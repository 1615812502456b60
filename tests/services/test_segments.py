"""Segments: create, change and delete them (audited, with clear messages), count them (and
keep the last count without touching the audit trail), list the members a person may see,
keep static lists by hand and freeze a dynamic segment into one."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.marketing import Segment, SegmentEntity, SegmentKind, SegmentMember
from app.models.records import AuditEntry
from app.permissions import PermissionDenied
from app.services import segments
from app.services.validation import RecordInvalid
from tests.factories import make_contact, make_lead, make_user
from tests.marketing_factories import make_segment

TAIPEI = {
    "match": "all",
    "groups": [
        {"match": "all", "conditions": [{"field": "email", "op": "contains", "value": ".tw"}]}
    ],
}


def _audit_rows(entity_type="segments") -> int:
    query = sa.select(sa.func.count()).where(AuditEntry.entity_type == entity_type)
    return db.session.scalar(query)


def test_a_marketer_creates_a_dynamic_segment_and_it_is_audited():
    marketer = make_user(Role.MARKETING)
    segment = segments.create_segment(
        marketer,
        name="  Taiwan  contacts ",
        description="Everyone at a .tw address",
        definition=TAIPEI,
    )
    db.session.commit()
    assert (segment.name, segment.entity, segment.kind, segment.owner_id) == (
        "Taiwan contacts",
        SegmentEntity.CONTACT,
        SegmentKind.DYNAMIC,
        marketer.id,
    )
    assert segment.definition == TAIPEI
    assert _audit_rows() == 1


def test_bad_input_is_refused_with_every_message_at_once():
    marketer = make_user(Role.MARKETING)
    with pytest.raises(RecordInvalid) as refused:
        segments.create_segment(
            marketer,
            name=" ",
            entity="PEOPLE",
            definition={"groups": [{"conditions": [{"field": "email", "op": "gt", "value": "x"}]}]},
        )
    assert refused.value.errors == {
        "name": "Enter a name for the segment.",
        "entity": "Choose contacts or leads.",
    }
    with pytest.raises(RecordInvalid) as refused:
        segments.create_segment(
            marketer,
            name="x" * 121,
            definition={"groups": [{"conditions": [{"field": "email", "op": "gt", "value": "x"}]}]},
        )
    assert refused.value.errors == {
        "name": "Use at most 120 characters.",
        "definition.groups.0.conditions.0": (
            "Group 1, condition 1: “is more than” does not apply to Email."
        ),
    }


def test_update_changes_name_and_conditions_but_not_entity_or_kind():
    marketer = make_user(Role.MARKETING)
    segment = segments.create_segment(marketer, name="All contacts")
    segments.update_segment(segment, marketer, name="Taiwan", definition=TAIPEI)
    assert (segment.name, segment.definition) == ("Taiwan", TAIPEI)
    with pytest.raises(RecordInvalid) as refused:
        segments.update_segment(segment, marketer, entity="LEAD", kind="STATIC")
    assert refused.value.errors == {
        "entity": "This cannot change once the segment exists.",
        "kind": "This cannot change once the segment exists.",
    }


def test_who_may_keep_segments():
    owner = make_user(Role.MARKETING)
    segment = make_segment(owner)
    other_marketer = make_user(Role.MARKETING)
    segments.update_segment(segment, other_marketer, name="Renamed")  # marketing edits all
    with pytest.raises(PermissionDenied):
        segments.delete_segment(segment, other_marketer)  # ...but deletes only their own
    for role in (Role.SALES, Role.SUPPORT):
        with pytest.raises(PermissionDenied):
            segments.create_segment(make_user(role), name="Mine")
    with pytest.raises(PermissionDenied):
        segments.update_segment(segment, make_user(Role.SALES), name="Nope")
    segments.delete_segment(segment, make_user(Role.MANAGER))
    assert db.session.get(Segment, segment.id) is None


def test_counting_keeps_the_last_count_without_an_audit_entry():
    marketer = make_user(Role.MARKETING)
    for n in range(3):
        make_contact(marketer, email=f"p{n}@example.com.tw")
    make_contact(marketer, email="x@example.com")
    assert segments.count_definition(SegmentEntity.CONTACT, TAIPEI) == 3
    assert segments.count_definition(SegmentEntity.CONTACT, {}) == 4
    segment = make_segment(marketer, definition=TAIPEI)
    updated_at = segment.updated_at
    before = _audit_rows()
    assert segments.count(segment) == 3
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Segment, segment.id)
    assert stored.last_count == 3 and stored.counted_at is not None
    assert stored.updated_at == updated_at
    assert _audit_rows() == before


def test_the_member_list_shows_only_whom_the_viewer_may_see_but_counts_everyone():
    team_rep, other_rep = make_user(Role.SALES), make_user(Role.SALES)
    mine = make_contact(team_rep, last_name="Mine", email="a@x.com.tw")
    make_contact(other_rep, last_name="Theirs", email="b@x.com.tw")
    segment = make_segment(make_user(Role.MARKETING), definition=TAIPEI)
    rows, cursor = segments.member_page(segment, team_rep)
    assert [row.id for row in rows] == [mine.id] and cursor is None
    assert len(segments.member_page(segment, make_user(Role.ADMIN))[0]) == 2
    assert segments.count(segment) == 2


def test_members_page_by_last_name_with_a_cursor():
    admin = make_user(Role.ADMIN)
    for n in range(7):
        make_contact(admin, last_name=f"Person {n}")
    segment = make_segment(admin)
    first, cursor = segments.member_page(segment, admin, limit=5)
    assert [c.last_name for c in first] == [f"Person {n}" for n in range(5)]
    rest, end = segments.member_page(segment, admin, cursor, limit=5)
    assert [c.last_name for c in rest] == ["Person 5", "Person 6"] and end is None


def test_a_static_list_is_kept_by_hand():
    marketer = make_user(Role.MARKETING)
    leads = [make_lead(marketer, last_name=f"Lead {n}") for n in range(3)]
    hidden = make_lead(make_user(Role.SALES), last_name="Someone else's")
    segment = segments.create_segment(
        marketer, name="Trade show", entity="LEAD", kind="STATIC", definition=TAIPEI
    )
    assert segment.definition == {}  # a static list has no conditions
    ids = [lead.id for lead in leads]
    assert segments.add_members(segment, marketer, [ids[0], ids[1], ids[1]]) == 2
    # Already there, unknown, and not visible to the marketer (another team's lead): skipped.
    assert segments.add_members(segment, marketer, [ids[0], ids[2], 999_999, hidden.id]) == 1
    assert segments.count(segment) == 3
    assert segments.remove_members(segment, marketer, [ids[0], 999_999]) == 1
    assert {row.id for row in segments.member_page(segment, marketer)[0]} == {ids[1], ids[2]}
    with pytest.raises(RecordInvalid):
        segments.add_members(segment, marketer, ["one"])
    dynamic = make_segment(marketer)
    with pytest.raises(RecordInvalid) as refused:
        segments.add_members(dynamic, marketer, ids)
    assert refused.value.errors == {"members": "Only a static list has members to change."}
    with pytest.raises(PermissionDenied):
        segments.add_members(segment, make_user(Role.SALES), ids)
    segments.delete_segment(segment, marketer)
    remaining = sa.select(sa.func.count()).select_from(SegmentMember)
    assert db.session.scalar(remaining) == 0


def test_copy_to_static_freezes_the_members_of_now():
    marketer = make_user(Role.MARKETING)
    early = [make_contact(marketer, email=f"e{n}@corp.com.tw") for n in range(2)]
    segment = make_segment(marketer, name="Taiwan", definition=TAIPEI)
    copy = segments.copy_to_static(segment, marketer)
    db.session.commit()
    make_contact(marketer, email="late@corp.com.tw")
    assert (copy.name, copy.kind, copy.entity, copy.last_count) == (
        "Taiwan (copy)",
        SegmentKind.STATIC,
        SegmentEntity.CONTACT,
        2,
    )
    assert segments.count(copy) == 2 and segments.count(segment) == 3
    members = db.session.scalars(
        sa.select(SegmentMember.entity_id).where(SegmentMember.segment_id == copy.id)
    )
    assert set(members) == {c.id for c in early}


def test_the_audience_query_reads_members_with_clean_addresses():
    marketer = make_user(Role.MARKETING)
    contact = make_contact(marketer, email=" Mei@Example.COM.tw ")
    make_contact(marketer, email="someone@example.com")
    segment = make_segment(marketer, definition=TAIPEI)
    rows = db.session.execute(segments.audience_query(segment)).all()
    assert [tuple(row) for row in rows] == [(contact.id, None, "mei@example.com.tw")]
    old = make_segment(
        marketer,
        definition={
            "groups": [
                {"conditions": [{"field": "created_at", "op": "older_than_days", "value": 1}]}
            ]
        },
    )
    contact.created_at = utcnow() - timedelta(days=3)
    db.session.commit()
    assert [row.contact_id for row in db.session.execute(segments.audience_query(old))] == [
        contact.id
    ]
