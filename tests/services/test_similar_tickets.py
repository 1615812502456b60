"""Possible duplicates of a ticket (app.services.predictions.similar_tickets): tickets with
the same problem in other words are found above the threshold, unrelated ones are not,
only tickets the agent may read are listed, and merged tickets and the merge's own rules
are respected."""

from app.extensions import db
from app.models.identity import Role
from app.services import ticket_merge
from app.services.predictions import similar_tickets
from tests.factories import make_customer, make_team, make_ticket, make_user


def _agent(team=None):
    return make_user(Role.SUPPORT, team=team or make_team())


def test_a_ticket_with_the_same_problem_is_found_and_an_unrelated_one_is_not():
    agent = _agent()
    ticket = make_ticket(
        agent,
        subject="Invoice PDF missing for March",
        description="The March invoice PDF is not on the billing page.",
    )
    same = make_ticket(agent, subject="March invoice PDF not available",
                       description="I cannot find the PDF of my March invoice.")  # fmt: skip
    close = make_ticket(agent, subject="Invoice address wrong",
                        description="The company address on my invoice is wrong.")  # fmt: skip
    make_ticket(agent, subject="Printer paper jam", description="Paper is stuck in the tray.")
    found = similar_tickets.similar(ticket, agent)
    assert [item.ticket for item in found][0] == same
    assert ticket not in [item.ticket for item in found]
    assert all(item.similarity >= similar_tickets.THRESHOLD for item in found)
    assert 0 < found[0].similarity <= 1 and found[0].percent == round(found[0].similarity * 100)
    everything = similar_tickets.similar(ticket, agent, threshold=0.0)
    assert [item.ticket for item in everything][:2] == [same, close]
    assert "Printer" not in " ".join(item.ticket.subject for item in everything)


def test_an_identical_ticket_is_fully_alike_and_chinese_tickets_are_compared_too():
    agent = _agent()
    text = {"subject": "印表機一直卡紙", "description": "列印的時候紙張卡在印表機裡面。"}
    first, second = make_ticket(agent, **text), make_ticket(agent, **text)
    make_ticket(agent, subject="發票金額錯誤", description="這個月的發票金額不對。")
    found = similar_tickets.similar(first, agent)
    assert [item.ticket for item in found] == [second]
    assert found[0].similarity > 0.99


def test_only_tickets_the_agent_may_read_are_listed():
    mine, theirs = _agent(), _agent()
    text = {"subject": "VPN keeps disconnecting", "description": "The VPN drops every hour."}
    ticket = make_ticket(mine, **text)
    other_team = make_ticket(theirs, **text)
    assert similar_tickets.similar(ticket, mine) == []  # another team's queue
    admin = make_user(Role.ADMIN)
    assert [item.ticket for item in similar_tickets.similar(ticket, admin)] == [other_team]
    own_team = make_ticket(mine, **text)
    assert [item.ticket for item in similar_tickets.similar(ticket, mine)] == [own_team]
    assert [item.ticket for item in similar_tickets.similar(ticket, admin)] == [
        own_team,
        other_team,
    ]


def test_merged_tickets_are_not_offered_again_and_the_merge_rules_apply():
    agent = _agent()
    acme, other = make_customer(agent, name="Acme"), make_customer(agent, name="Other")
    text = {"subject": "Cannot log in to the portal", "description": "Login fails with an error."}
    ticket = make_ticket(agent, customer_id=acme.id, **text)
    duplicate = make_ticket(agent, customer_id=acme.id, **text)
    foreign = make_ticket(agent, customer_id=other.id, **text)
    assert similar_tickets.may_merge(ticket, duplicate, agent)
    assert not similar_tickets.may_merge(ticket, foreign, agent)  # another customer's
    assert not similar_tickets.may_merge(ticket, duplicate, make_user(Role.SALES))
    ticket_merge.merge(ticket, [duplicate], agent)
    db.session.commit()
    assert [item.ticket for item in similar_tickets.similar(ticket, agent)] == [foreign]
    assert [item.ticket for item in similar_tickets.similar(duplicate, agent)] == [foreign]


def test_new_tickets_are_scored_without_a_rebuild_and_edits_after_the_refresh(monkeypatch):
    agent = _agent()
    ticket = make_ticket(agent, subject="Battery does not charge",
                         description="The charging light stays off.")  # fmt: skip
    assert similar_tickets.similar(ticket, agent) == []
    index = similar_tickets.current_index()
    newer = make_ticket(agent, subject="Battery will not charge",
                        description="No charging light at all.")  # fmt: skip
    found = similar_tickets.similar(ticket, agent)
    assert [item.ticket for item in found] == [newer]
    kept, opened_since = similar_tickets.current()
    assert kept is index and [row[0] for row in opened_since] == [newer.id]
    # Seen from the newer ticket, the indexed one is just as alike.
    back = similar_tickets.similar(newer, agent)
    assert [item.ticket for item in back] == [ticket]
    assert abs(back[0].similarity - found[0].similarity) < 0.35
    newer.subject = "Refund for order 12"
    newer.description = "Please refund my order."
    db.session.commit()
    monkeypatch.setattr(similar_tickets, "REFRESH_SECONDS", 0)
    assert similar_tickets.similar(ticket, agent) == []
    assert similar_tickets.current_index() is not index


def test_a_deleted_ticket_rebuilds_the_index():
    agent = _agent()
    first = make_ticket(agent, subject="Cannot export contacts", description="Export fails.")
    second = make_ticket(agent, subject="Contacts export fails", description="Cannot export.")
    index = similar_tickets.current_index()
    assert [item.ticket for item in similar_tickets.similar(first, agent)] == [second]
    db.session.delete(second)
    db.session.commit()
    assert similar_tickets.similar(first, agent) == []
    assert similar_tickets.current_index() is not index
