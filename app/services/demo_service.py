"""Demo service desk for `flask rapport seed`: the settings (ticket categories, an SLA
policy per priority and a stricter one for tier A customers, the office calendar and the
support team's), a bilingual knowledge base, tickets over the same three years as the sales
data with their conversations and SLA breaches, and satisfaction answers.

Old tickets are resolved or closed; the last three weeks hold the open backlog, some of it
unassigned. Due times are what app.services.sla would set when a ticket opens (the policy's
minutes counted on the team's calendar with business_time); a first response or resolution
after its due time, and an open ticket past it, has its breach recorded. Numbers follow the
order tickets were opened and the "T" sequence is left at the last one. Like the other demo
data, rows go in with Core executemany in chunks, outside the audit trail
(see app.services.demo_customers).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from app.extensions import db
from app.models.base import person_name
from app.models.customers import Contact, Customer
from app.models.identity import Role, Team
from app.models.orders import NumberSequence
from app.models.service import (
    ArticleStatus,
    ArticleVisibility,
    BusinessCalendar,
    CalendarHoliday,
    KbArticle,
    KbCategory,
    SlaBreach,
    SlaPolicy,
    SurveyKind,
    SurveyResponse,
    Ticket,
    TicketCategory,
    TicketComment,
    TicketPriority,
)
from app.services import business_time
from app.services import demo_service_data as words
from app.services.demo_customers import CHUNK, _insert, _next_id, _sync_sequences
from app.services.demo_service_tickets import TicketPlanner
from app.services.search import normalise

if TYPE_CHECKING:
    from app.services.demo import SeedContext

YEARS = 3
KB_SEARCH_BODY = 5_000  # as app.services.kb indexes an article's body
OFFICE_HOURS = {str(day): [["09:00", "18:00"]] for day in range(1, 6)}
DESK_HOURS = {str(day): [["08:00", "20:00"]] for day in range(1, 6)} | {"6": [["09:00", "13:00"]]}


@dataclasses.dataclass
class ServiceSettings:
    """What the ticket planner needs of the settings just seeded."""

    team_id: int | None
    calendar: business_time.Calendar
    category_ids: list[int]
    # (priority value, tier) -> (policy id, first response minutes, resolution minutes)
    policies: dict


def _support_team(ctx: SeedContext) -> tuple[int | None, list]:
    """The support team and its agents (SUPPORT colleagues in it)."""
    team_id = db.session.scalar(
        sa.select(Team.id).where(Team.name.like("Customer Support%")).order_by(Team.id)
    )
    agents = [u for u in ctx.staff if u.role == Role.SUPPORT and u.team_id == team_id]
    return team_id, agents


def _holidays(now: datetime) -> list[tuple[date, str]]:
    return [
        (date(year, month, day), f"{en} {zh}")
        for year in range(now.year - YEARS, now.year + 2)
        for month, day, en, zh in words.HOLIDAYS
    ]


def _settings(team_id: int | None, now: datetime) -> ServiceSettings:
    """Categories, SLA policies and the two calendars."""
    holidays = _holidays(now)
    calendar_id = _next_id(BusinessCalendar)
    calendars = [
        {"id": calendar_id, "name": "Office hours 辦公時間", "time_zone": words.DEMO_TIME_ZONE,
         "hours": OFFICE_HOURS, "team_id": None, "is_default": True},
    ]  # fmt: skip
    if team_id is not None:
        calendars.append(
            {"id": calendar_id + 1, "name": "Support desk 客服中心",
             "time_zone": words.DEMO_TIME_ZONE, "hours": DESK_HOURS, "team_id": team_id,
             "is_default": False},
        )  # fmt: skip
    _insert(BusinessCalendar.__table__, calendars)
    _insert(
        CalendarHoliday.__table__,
        [
            {"calendar_id": calendar["id"], "day": day, "name": name}
            for calendar in calendars
            for day, name in holidays
        ],
    )
    category_id = _next_id(TicketCategory)
    categories = [
        {"id": category_id + n, "name": name, "description": description, "team_id": team_id,
         "round_robin": round_robin and team_id is not None}
        for n, (name, description, round_robin) in enumerate(words.CATEGORIES)
    ]  # fmt: skip
    _insert(TicketCategory.__table__, categories)
    policies, rows, policy_id = {}, [], _next_id(SlaPolicy)
    for priority, targets in words.POLICIES.items():
        for tier, (first, resolution) in zip(("", "A"), targets, strict=True):
            label = priority.title() + (" – tier A" if tier else " – standard")
            rows.append({
                "id": policy_id, "name": label, "priority": TicketPriority(priority),
                "customer_tier": tier,
                "first_response_minutes": first, "resolution_minutes": resolution,
                "warn_before_minutes": min(60, first // 2), "is_active": True,
                "raise_priority_on_breach": priority in ("HIGH", "URGENT"),
            })  # fmt: skip
            policies[priority, tier] = (policy_id, first, resolution)
            policy_id += 1
    _insert(SlaPolicy.__table__, rows)
    timing = calendars[-1]
    calendar = business_time.Calendar(
        timing["time_zone"], timing["hours"], frozenset(day for day, _ in holidays)
    )
    return ServiceSettings(team_id, calendar, [row["id"] for row in categories], policies)


def _articles(ctx: SeedContext, authors: list, now: datetime) -> list[dict]:
    """The knowledge base's categories (inserted) and articles (returned as rows)."""
    rng = ctx.rng
    category_id = _next_id(KbCategory)
    _insert(
        KbCategory.__table__,
        [
            {"id": category_id + n, "name": name, "position": n + 1}
            for n, name in enumerate(words.KB_CATEGORIES)
        ],
    )
    rows, article_id = [], _next_id(KbArticle)
    written = [("en", words.KB_BODY_EN, item) for item in words.KB_EN] + [
        ("zh_Hant", words.KB_BODY_ZH, item) for item in words.KB_ZH
    ]
    for n, (language, template, (category, title, what)) in enumerate(written):
        # One in ten is still a draft; one in seven is for colleagues only.
        status = ArticleStatus.DRAFT if n % 10 == 9 else ArticleStatus.PUBLISHED
        visibility = ArticleVisibility.INTERNAL if n % 7 == 5 else ArticleVisibility.PUBLIC
        created = now - timedelta(seconds=rng.randrange(YEARS * 365 * 86_400))
        published = status is ArticleStatus.PUBLISHED
        views = rng.randint(20, 5_000) if published else 0
        body = template.format(what=what)
        author = rng.choice(authors).id if authors else None
        rows.append({
            "id": article_id + n, "title": title, "body": body,
            "category_id": category_id + category, "language": language, "status": status,
            "visibility": visibility, "is_faq": published and n % 3 == 0,
            "published_at": created + timedelta(days=1) if published else None,
            "view_count": views, "helpful_yes": views // rng.randint(8, 30),
            "helpful_no": views // rng.randint(40, 200), "owner_id": author,
            "created_by_id": author, "updated_by_id": author, "created_at": created,
            "updated_at": created + timedelta(days=1), "custom": {},
            "search_text": normalise(title, body[:KB_SEARCH_BODY]),
        })  # fmt: skip
    return rows


def _nps(ctx: SeedContext, contacts: list, now: datetime) -> list[dict]:
    """One NPS round last quarter, to a sample of contacts; a third answered."""
    rng = ctx.rng
    quarter_start = date(now.year, 3 * ((now.month - 1) // 3) + 1, 1) - timedelta(days=1)
    name = f"NPS {quarter_start.year} Q{(quarter_start.month - 1) // 3 + 1}"
    sent = datetime.combine(quarter_start, datetime.min.time(), UTC) - timedelta(days=30)
    size = min(len(contacts), max(40, ctx.size.get("tickets", 0) // 30))
    rows = []
    for contact in rng.sample(contacts, size):
        answered = rng.random() < 0.35
        rows.append({
            "kind": SurveyKind.NPS, "contact_id": contact[0], "ticket_id": None,
            "agent_id": None, "survey_name": name, "sent_at": sent,
            "answered_at": sent + timedelta(hours=rng.randint(1, 240)) if answered else None,
            "score": rng.choices(range(11), (1, 1, 1, 2, 2, 4, 5, 9, 14, 16, 14))[0]
            if answered else None,
            "comment": rng.choice(words.NPS_COMMENTS) if answered else "",
        })  # fmt: skip
    return rows


def seed_service(ctx: SeedContext) -> dict:
    """The service desk's settings, knowledge base, tickets and surveys; returns counts."""
    now = datetime.now(UTC).replace(microsecond=0)
    team_id, agents = _support_team(ctx)
    settings = _settings(team_id, now)
    articles = _insert(KbArticle.__table__, _articles(ctx, agents or ctx.staff[:1], now))
    customers = {
        row.id: (row.name, (row.abc_class or "").upper())
        for row in db.session.execute(sa.select(Customer.id, Customer.name, Customer.abc_class))
    }
    contacts = [
        (row.id, row.customer_id, person_name(row.first_name, row.last_name))
        for row in db.session.execute(
            sa.select(Contact.id, Contact.customer_id, Contact.first_name, Contact.last_name)
            .where(Contact.customer_id.is_not(None))
            .order_by(Contact.id)
        )
    ]
    planner = TicketPlanner(ctx, settings, agents, customers, contacts, now)
    counts = {"tickets": 0, "ticket_comments": 0, "sla_breaches": 0, "survey_responses": 0}
    for batch in planner.batches(CHUNK):
        counts["tickets"] += _insert(Ticket.__table__, batch.tickets)
        counts["ticket_comments"] += _insert(TicketComment.__table__, batch.comments)
        counts["sla_breaches"] += _insert(SlaBreach.__table__, batch.breaches)
        counts["survey_responses"] += _insert(SurveyResponse.__table__, batch.surveys)
    if contacts:
        counts["survey_responses"] += _insert(SurveyResponse.__table__, _nps(ctx, contacts, now))
    if planner.last_number:
        db.session.execute(
            sa.insert(NumberSequence), [{"name": "T", "last_value": planner.last_number}]
        )
    _sync_sequences(
        BusinessCalendar, CalendarHoliday, TicketCategory, SlaPolicy, KbCategory, KbArticle,
        Ticket, TicketComment, SlaBreach, SurveyResponse,
    )  # fmt: skip
    return {
        "ticket_categories": len(settings.category_ids),
        "sla_policies": len(settings.policies),
        "kb_articles": articles,
    } | counts
