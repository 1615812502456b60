"""Merging duplicate tickets: the conversation and files move to the target with their
authors and times, both sides are noted, duplicates are closed pointing at the target, and
impossible merges are refused with a clear message."""

import io
from datetime import UTC, datetime

import pytest

from app.models.identity import Role
from app.models.service import TicketStatus
from app.permissions import PermissionDenied
from app.services import ticket_attachments, ticket_merge, tickets
from app.services.validation import RecordInvalid
from tests.factories import make_contact, make_customer, make_team, make_ticket, make_user


@pytest.fixture
def agent():
    return make_user(Role.SUPPORT, team=make_team(), name="Amy")


def test_comments_and_files_move_with_their_authors_and_times(agent):
    customer = make_customer(agent, name="Acme")
    contact = make_contact(agent, customer=customer, first_name="Carl")
    target = make_ticket(agent, subject="Printer jams", customer_id=customer.id)
    duplicate = make_ticket(None, contact=contact, subject="Printer broken",
                            description="It jams on page 2")  # fmt: skip
    reply = tickets.add_comment(duplicate, None, "Still broken", by_contact=contact)
    reply.created_at = datetime(2030, 1, 2, 9, 0, tzinfo=UTC)
    attachment = ticket_attachments.save_attachment(
        duplicate, "log.txt", io.BytesIO(b"jam"), actor=agent
    )

    ticket_merge.merge(target, [duplicate], agent)

    moved = [c for c in tickets.comments_of(target) if c.id == reply.id]
    assert moved and moved[0].author_contact_id == contact.id
    assert moved[0].created_at == datetime(2030, 1, 2, 9, 0, tzinfo=UTC)
    assert ticket_attachments.attachments_of(target) == [attachment]
    note = tickets.comments_of(target)[-1]
    assert note.is_internal and duplicate.number in note.body and "page 2" in note.body
    (left,) = tickets.comments_of(duplicate)
    assert left.is_internal and target.number in left.body
    assert duplicate.status is TicketStatus.CLOSED and duplicate.merged_into_id == target.id
    assert target.status is TicketStatus.OPEN


@pytest.mark.parametrize("case", ["itself", "merged_target", "merged_duplicate", "customers"])
def test_impossible_merges_are_refused_with_a_clear_message(agent, case):
    first, second = make_ticket(agent), make_ticket(agent)
    if case == "itself":
        target, duplicates, message = first, [first], "into itself"
    elif case == "merged_target":
        ticket_merge.merge(make_ticket(agent), [first], agent)
        target, duplicates, message = first, [second], "itself merged"
    elif case == "merged_duplicate":
        ticket_merge.merge(make_ticket(agent), [second], agent)
        target, duplicates, message = first, [second], "already merged"
    else:
        for ticket in (first, second):
            tickets.update_ticket(ticket, agent, customer_id=make_customer(agent).id)
        target, duplicates, message = first, [second], "same customer"
    with pytest.raises(RecordInvalid) as refused:
        ticket_merge.merge(target, duplicates, agent)
    assert message in refused.value.errors["numbers"]


def test_every_ticket_must_be_editable_by_the_actor(agent):
    mine = make_ticket(agent)
    theirs = make_ticket(make_user(Role.SUPPORT, team=make_team()))
    with pytest.raises(PermissionDenied):
        ticket_merge.merge(mine, [theirs], agent)
    assert theirs.merged_into_id is None


def test_tickets_are_found_by_their_numbers(agent):
    first, second = make_ticket(agent), make_ticket(agent)
    found, missing = ticket_merge.find_by_numbers(f"{first.number}, 2 T-999999 nonsense")
    assert found == [first, second] and missing == ["T-999999", "nonsense"]
