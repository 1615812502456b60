"""Logging calls and notes, planning tasks and meetings, and who may see or change them."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.models.base import utcnow
from app.models.identity import Role
from app.permissions import PermissionDenied
from app.services import activities, agenda, history, tags
from app.services.validation import RecordInvalid
from tests.factories import make_activity, make_contact, make_customer, make_team, make_user


def test_a_call_is_logged_now_as_done_and_owned_by_the_rep():
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    before = utcnow()
    call = activities.log_activity(rep, kind="CALL", subject="  Intro   call ", customer_id=acme.id)
    assert call.subject == "Intro call"
    assert call.owner_id == rep.id and call.created_by_id == rep.id
    assert call.status is ActivityStatus.DONE and call.occurred_at >= before
    assert call.due_at is None


def test_a_task_stays_open_until_completed():
    rep = make_user(Role.SALES)
    due = utcnow() + timedelta(days=2)
    task = activities.log_activity(rep, kind=ActivityKind.TASK, subject="Send quote", due_at=due)
    assert task.status is ActivityStatus.OPEN and task.due_at == due
    activities.complete(task, rep)
    assert task.status is ActivityStatus.DONE and task.completed_at is not None
    first = task.completed_at
    activities.complete(task, rep)
    assert task.completed_at == first


def test_a_meeting_runs_from_start_to_end_and_is_due_at_its_start():
    rep = make_user(Role.SALES)
    start = datetime(2031, 5, 1, 9, 0, tzinfo=UTC)
    meeting = activities.log_activity(
        rep, kind="MEETING", subject="Demo", occurred_at=start, ends_at=start + timedelta(hours=1)
    )
    assert meeting.due_at == start and meeting.status is ActivityStatus.OPEN


def test_bad_input_is_reported_field_by_field():
    rep = make_user(Role.SALES)
    start = utcnow() + timedelta(days=1)
    with pytest.raises(RecordInvalid) as caught:
        activities.log_activity(
            rep, kind="MEETING", subject="", occurred_at=start, ends_at=start - timedelta(hours=1)
        )
    assert set(caught.value.errors) == {"subject", "ends_at"}
    with pytest.raises(RecordInvalid) as caught:
        activities.log_activity(rep, kind="TASK", subject="x" * 201, description="d" * 10_001)
    assert set(caught.value.errors) == {"subject", "description"}
    with pytest.raises(RecordInvalid) as caught:
        activities.log_activity(
            rep, kind="TASK", subject="Call back", due_at=start, remind_at=start + timedelta(1)
        )
    assert caught.value.errors == {"remind_at": "The reminder must come before the due date."}
    with pytest.raises(RecordInvalid) as caught:
        activities.log_activity(rep, kind="PARTY", subject="Fun")
    assert "kind" in caught.value.errors
    with pytest.raises(RecordInvalid) as caught:
        activities.log_activity(rep, kind="MEETING", subject="When?")
    assert "occurred_at" in caught.value.errors
    assert db.session.scalar(sa.select(sa.func.count(Activity.id))) == 0


def test_links_need_read_rights_and_a_contact_of_that_customer():
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    mine, theirs = make_customer(rep, name="Mine"), make_customer(other, name="Theirs")
    stranger = make_contact(other, theirs, last_name="Wong")
    with pytest.raises(RecordInvalid) as caught:
        activities.log_activity(rep, kind="NOTE", subject="Peek", customer_id=theirs.id)
    assert caught.value.errors == {"customer_id": "Choose a customer you can see."}
    with pytest.raises(RecordInvalid) as caught:
        activities.log_activity(rep, kind="NOTE", subject="Peek", contact_id=stranger.id)
    assert "contact_id" in caught.value.errors
    elsewhere = make_contact(rep, make_customer(rep, name="Also mine"), last_name="Chan")
    with pytest.raises(RecordInvalid) as caught:
        activities.log_activity(
            rep, kind="CALL", subject="Mixed", customer_id=mine.id, contact_id=elsewhere.id
        )
    assert caught.value.errors == {"contact_id": "This contact does not work at that customer."}


def test_an_activity_on_a_contact_lands_on_its_customers_timeline_too():
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    li = make_contact(rep, acme, last_name="Li")
    call = activities.log_activity(rep, kind="CALL", subject="Catch up", contact_id=li.id)
    assert call.customer_id == acme.id


def test_owner_can_be_given_only_to_someone_whose_activities_the_actor_edits():
    team = make_team()
    manager = make_user(Role.MANAGER, team=team)
    member, outsider = make_user(Role.SALES, team=team), make_user(Role.SALES)
    task = activities.log_activity(manager, kind="TASK", subject="Follow up", owner_id=member.id)
    assert task.owner_id == member.id
    with pytest.raises(RecordInvalid) as caught:
        activities.log_activity(manager, kind="TASK", subject="Nope", owner_id=outsider.id)
    assert "owner_id" in caught.value.errors
    with pytest.raises(RecordInvalid):
        activities.log_activity(member, kind="TASK", subject="Yours", owner_id=manager.id)


def test_a_rep_cannot_change_or_complete_another_reps_task():
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    task = make_activity(other, subject="Theirs")
    for attempt in (
        lambda: activities.complete(task, rep),
        lambda: activities.update_activity(task, rep, subject="Mine now"),
        lambda: activities.snooze(task, rep, utcnow() + timedelta(days=3)),
        lambda: activities.delete_activity(task, rep),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert activities.get_for(rep, task.id) is None
    assert activities.get_for(other, task.id) is task


def test_update_revalidates_and_leaves_the_record_as_it_was_when_invalid():
    rep = make_user(Role.SALES)
    task = make_activity(rep, subject="Draft")
    activities.update_activity(task, rep, subject="Final", description="Ready")
    db.session.commit()
    assert task.subject == "Final" and task.updated_by_id == rep.id
    with pytest.raises(RecordInvalid):
        activities.update_activity(task, rep, subject="")
    assert db.session.get(Activity, task.id).subject == "Final"
    with pytest.raises(ValueError):
        activities.update_activity(task, rep, status="DONE")


def test_snooze_moves_due_time_reminder_and_a_meetings_slot_together():
    rep = make_user(Role.SALES)
    start = utcnow() + timedelta(hours=2)
    meeting = make_activity(
        rep,
        kind="MEETING",
        occurred_at=start,
        ends_at=start + timedelta(hours=1),
        remind_at=start - timedelta(minutes=15),
    )
    meeting.reminded_at = utcnow()
    until = activities.snooze_target(meeting, 7)
    activities.snooze(meeting, rep, until)
    assert meeting.due_at == meeting.occurred_at == start + timedelta(days=7)
    assert meeting.ends_at == start + timedelta(days=7, hours=1)
    assert meeting.remind_at == start + timedelta(days=7, minutes=-15)
    assert meeting.reminded_at is None
    with pytest.raises(RecordInvalid):
        activities.snooze(meeting, rep, utcnow() - timedelta(days=1))


def test_snoozing_an_overdue_task_counts_from_now():
    rep = make_user(Role.SALES)
    task = make_activity(rep, due_at=utcnow() - timedelta(days=3))
    target = activities.snooze_target(task, 1)
    assert target > utcnow() + timedelta(hours=23)


def test_agenda_groups_open_items_into_overdue_today_and_upcoming():
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    now = datetime(2030, 6, 10, 12, 0, tzinfo=UTC)
    late = make_activity(rep, subject="Late", due_at=now - timedelta(hours=1))
    tonight = make_activity(rep, subject="Tonight", due_at=now + timedelta(hours=6))
    later = make_activity(rep, subject="Later", due_at=now + timedelta(days=2))
    undated = make_activity(rep, subject="Someday", due_at=None)
    done = make_activity(rep, subject="Done", due_at=now + timedelta(hours=1))
    activities.complete(done, rep)
    make_activity(other, subject="Not mine", due_at=now)
    make_activity(rep, kind="CALL", subject="A call")
    db.session.commit()
    mine = agenda.agenda(rep, now=now)
    assert mine.overdue == [late] and mine.today == [tonight]
    assert mine.upcoming == [later, undated]
    assert agenda.agenda(make_user(Role.SALES), now=now).empty


def test_activities_query_filters_and_hides_other_peoples_records():
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    call = make_activity(rep, kind="CALL", customer_id=acme.id)
    task = make_activity(rep)
    make_activity(other)

    def ids(**filters):
        query = activities.activities_query(rep, activities.ActivityFilters(**filters))
        return {a.id for a in db.session.scalars(query)}

    assert ids() == {call.id, task.id}
    assert ids(kind=ActivityKind.CALL) == {call.id}
    assert ids(status=ActivityStatus.OPEN) == {task.id}
    assert ids(customer_id=acme.id) == {call.id}
    assert ids(due_after=utcnow()) == {task.id}
    filters = activities.ActivityFilters.from_args({"kind": "TASK", "status": "bogus"})
    assert filters.kind is ActivityKind.TASK and filters.status is None


def test_activity_pages_continue_without_repeats():
    rep = make_user(Role.SALES)
    made = [make_activity(rep, kind="NOTE") for _ in range(5)]
    seen, cursor = [], None
    while True:
        rows, cursor = activities.activity_page(
            rep, activities.ActivityFilters(), cursor=cursor, limit=2
        )
        seen.extend(a.id for a in rows)
        if cursor is None:
            break
    assert sorted(seen) == sorted(a.id for a in made) and len(seen) == 5


def test_activities_have_tags_and_a_history():
    rep = make_user(Role.SALES)
    task = make_activity(rep, subject="Tagged")
    tags.add_tags(rep, "activities", task.id, ["urgent"])
    db.session.commit()
    assert [t.name for t in tags.tags_for("activities", [task.id])[task.id]] == ["urgent"]
    assert history.find_record("activities", str(task.id)) is task
    assert history.record_history("activities", task.id).entries
