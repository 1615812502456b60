"""`flask rapport seed` fills the service desk: settings, a bilingual knowledge base,
tickets whose statuses, timestamps and SLA due times agree with each other and with
app.services.sla, breaches for late targets, numbers that new tickets continue, and
satisfaction answers."""

from collections import Counter

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role, User
from app.models.orders import NumberSequence
from app.models.service import (
    ArticleStatus,
    ArticleVisibility,
    KbArticle,
    SlaBreach,
    SlaPolicy,
    SlaTarget,
    SurveyKind,
    SurveyResponse,
    Ticket,
    TicketCategory,
    TicketComment,
    TicketStatus,
)
from app.services import business_time, demo, kb, search, sla, tickets

OPEN = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.PENDING)


@pytest.fixture
def seeded():
    summary = demo.seed(seed=5, scale="small", admin_password="a long admin password")
    db.session.commit()
    return summary


def test_the_small_seed_has_settings_articles_tickets_and_surveys(seeded):
    assert seeded["tickets"] == 300 and seeded["ticket_comments"] == 900
    assert seeded["ticket_categories"] == 4 and seeded["sla_policies"] == 8
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketComment)) == 900
    priorities = Counter(p.priority for p in db.session.scalars(sa.select(SlaPolicy)))
    assert all(count == 2 for count in priorities.values()) and len(priorities) == 4
    assert db.session.scalar(sa.select(sa.func.count()).where(TicketCategory.round_robin)) == 1
    calendar = sla.calendar_for(db.session.scalars(sa.select(Ticket)).first())
    assert calendar.team_id is not None and len(calendar.holidays) >= 15
    statuses = Counter(db.session.scalars(sa.select(Ticket.status)))
    assert set(statuses) == set(TicketStatus)
    assert statuses[TicketStatus.CLOSED] > sum(statuses[s] for s in OPEN) > 5
    unassigned = db.session.scalars(
        sa.select(Ticket).where(Ticket.owner_id.is_(None), Ticket.status.in_(OPEN))
    ).all()
    assert unassigned
    agents = set(db.session.scalars(sa.select(Ticket.owner_id).where(Ticket.owner_id.isnot(None))))
    roles = {db.session.get(User, agent_id).role for agent_id in agents}
    assert roles == {Role.SUPPORT}
    surveys = db.session.scalars(sa.select(SurveyResponse)).all()
    csat = [s for s in surveys if s.kind is SurveyKind.CSAT]
    answered = [s.score for s in csat if s.answered_at is not None]
    assert csat and 0.2 < len(answered) / len(csat) < 0.6
    assert sum(answered) / len(answered) > 3.5
    assert any(s.kind is SurveyKind.NPS and s.answered_at for s in surveys)


def test_timestamps_agree_with_the_status(seeded):
    for ticket in db.session.scalars(sa.select(Ticket)):
        assert ticket.first_response_due_at and ticket.resolution_due_at
        comments = tickets.comments_of(ticket)
        assert comments and all(c.created_at >= ticket.created_at for c in comments)
        public_replies = [c for c in comments if c.author_user_id and not c.is_internal]
        if ticket.first_responded_at is None:
            assert ticket.status is TicketStatus.OPEN and not public_replies
        else:
            assert public_replies[0].created_at == ticket.first_responded_at
            assert ticket.first_responded_at >= ticket.created_at
        if ticket.status.is_done:
            assert ticket.first_responded_at <= ticket.resolved_at
            assert all(c.created_at <= ticket.resolved_at for c in comments)
            assert (ticket.closed_at is not None) == (ticket.status is TicketStatus.CLOSED)
            assert ticket.closed_at is None or ticket.closed_at > ticket.resolved_at
        else:
            assert ticket.resolved_at is None and ticket.closed_at is None
        assert (ticket.sla_paused_at is not None) == (ticket.status is TicketStatus.PENDING)
        if ticket.owner_id is None:
            assert ticket.status is TicketStatus.OPEN


def test_due_times_are_what_sla_computes(seeded):
    sample = db.session.scalars(sa.select(Ticket).order_by(Ticket.id)).all()[::15]
    for ticket in sample:
        policy, calendar = sla.policy_for(ticket), sla.calendar_for(ticket)
        assert ticket.sla_policy_id == policy.id
        assert ticket.first_response_due_at == business_time.add_business_minutes(
            ticket.created_at, policy.first_response_minutes, calendar
        )
        assert ticket.resolution_due_at == business_time.add_business_minutes(
            ticket.created_at, policy.resolution_minutes, calendar
        )


def test_late_targets_are_recorded_as_breaches(seeded):
    breaches = {(b.ticket_id, b.target): b for b in db.session.scalars(sa.select(SlaBreach))}
    assert breaches
    for ticket in db.session.scalars(sa.select(Ticket)):
        late_reply = (
            ticket.first_responded_at is not None
            and ticket.first_responded_at > ticket.first_response_due_at
        )
        assert late_reply <= ((ticket.id, SlaTarget.FIRST_RESPONSE) in breaches)
        late_fix = ticket.resolved_at is not None and ticket.resolved_at > ticket.resolution_due_at
        assert late_fix == ((ticket.id, SlaTarget.RESOLUTION) in breaches) or not (
            ticket.status.is_done
        )
    for breach in breaches.values():
        assert breach.breached_at >= breach.due_at


def test_numbers_follow_the_opening_order_and_new_tickets_continue(seeded):
    rows = db.session.execute(sa.select(Ticket.number, Ticket.created_at).order_by(Ticket.id)).all()
    numbers = [number for number, _ in rows]
    assert numbers[0] == "T-000001" and numbers[-1] == "T-000300"
    assert len(set(numbers)) == 300
    assert [at for _, at in rows] == sorted(at for _, at in rows)
    sequence = db.session.scalar(sa.select(NumberSequence).where(NumberSequence.name == "T"))
    assert sequence.last_value == 300
    agent = db.session.scalars(sa.select(User).where(User.role == Role.SUPPORT)).first()
    ticket = tickets.create_ticket(agent, subject="After the seed")
    assert ticket.number == "T-000301"
    assert ticket.id == db.session.scalar(sa.select(sa.func.max(Ticket.id)))
    stored = db.session.scalars(sa.select(Ticket).order_by(Ticket.id)).first()
    assert stored.search_text.startswith(search.normalise(stored.number, stored.subject))


def test_kb_articles_in_both_languages_are_found(seeded):
    articles = db.session.scalars(sa.select(KbArticle)).all()
    languages = Counter(a.language for a in articles)
    assert languages["en"] >= 25 and languages["zh_Hant"] >= 15
    assert {a.status for a in articles} == set(ArticleStatus)
    assert {a.visibility for a in articles} == set(ArticleVisibility)
    assert any(a.is_faq for a in articles)
    admin = db.session.scalars(sa.select(User).where(User.role == Role.ADMIN)).one()
    english = kb.search("password", admin)
    assert any(a.language == "en" for a in english)
    chinese = kb.search("密碼", admin)
    assert chinese and all(a.language == "zh_Hant" for a in chinese)
    public = kb.search("密碼", None, public_only=True, language="zh_Hant")
    assert public and all(a.visibility is ArticleVisibility.PUBLIC for a in public)


def test_demo_targets_give_every_rep_a_monthly_quota_this_month(db):
    from datetime import date

    import sqlalchemy as sa

    from app.models.identity import Role, User
    from app.models.orders import SalesTarget, TargetPeriod
    from app.services import demo

    demo.seed(seed=3, scale="small", admin_password="a long admin password")
    this_month = date.today().replace(day=1)
    reps = set(db.session.scalars(sa.select(User.id).where(User.role == Role.SALES)))
    with_quota = set(
        db.session.scalars(
            sa.select(SalesTarget.user_id).where(
                SalesTarget.period == TargetPeriod.MONTH, SalesTarget.period_start == this_month
            )
        )
    )
    assert reps and with_quota == reps
