"""What the satisfaction surveys say: CSAT averages (overall, per agent, per ticket category)
and NPS per round, each one SQL aggregate over survey_responses.

CSAT: the average score (1-5) and the share of satisfied answers (4 or 5) among those
answered. NPS: promoters answer 9-10, passives 7-8, detractors 0-6; NPS is the percentage of
promoters minus the percentage of detractors (-100 to 100). Periods select the surveys by
when they were sent, from `start` (included) to `end` (excluded).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext

from app.extensions import db
from app.models.identity import User
from app.models.service import SurveyKind, SurveyResponse, Ticket, TicketCategory

GROUPINGS = (None, "agent", "category")


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclasses.dataclass
class CsatFigures:
    key: int | None  # the agent's or category's id (None: none, or not grouped)
    label: str
    sent: int
    answered: int
    average: Decimal | None  # 2 decimals; None with no answer
    satisfied: int  # answers of 4 or 5

    @property
    def satisfied_share(self) -> Decimal | None:
        return _percent(self.satisfied, self.answered)

    @property
    def response_rate(self) -> Decimal | None:
        return _percent(self.answered, self.sent)


@dataclasses.dataclass
class NpsFigures:
    survey_name: str
    sent: int
    answered: int
    promoters: int
    passives: int
    detractors: int
    first_sent_at: datetime | None = None

    @property
    def nps(self) -> Decimal | None:
        """%promoters - %detractors, to one decimal; None with no answer."""
        if not self.answered:
            return None
        value = Decimal(self.promoters - self.detractors) * 100 / Decimal(self.answered)
        return value.quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def response_rate(self) -> Decimal | None:
        return _percent(self.answered, self.sent)


def _counted(score_condition):
    return sa.func.coalesce(sa.func.sum(sa.case((score_condition, 1), else_=0)), 0)


def _period(query, start: datetime | None, end: datetime | None):
    if start is not None:
        query = query.where(SurveyResponse.sent_at >= start)
    if end is not None:
        query = query.where(SurveyResponse.sent_at < end)
    return query


def _average(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def csat_summary(
    start: datetime | None, end: datetime | None, group_by: str | None = None
) -> CsatFigures | list[CsatFigures]:
    """CSAT figures of the surveys sent in [start, end): one CsatFigures overall, or a list
    of them per "agent" (the assignee rated) or per "category" (of the ticket)."""
    if group_by not in GROUPINGS:
        raise ValueError(f"unknown grouping {group_by!r}")
    figures = (
        sa.func.count(SurveyResponse.id),
        sa.func.count(SurveyResponse.answered_at),
        sa.func.avg(SurveyResponse.score),
        _counted(SurveyResponse.score >= 4),
    )
    if group_by == "agent":
        key, label = SurveyResponse.agent_id, User.name
        query = sa.select(key, label, *figures).outerjoin(User, User.id == key)
        none_label = gettext("No agent")
    elif group_by == "category":
        key, label = TicketCategory.id, TicketCategory.name
        query = (
            sa.select(key, label, *figures)
            .outerjoin(Ticket, Ticket.id == SurveyResponse.ticket_id)
            .outerjoin(TicketCategory, TicketCategory.id == Ticket.category_id)
        )
        none_label = gettext("No category")
    else:
        query = sa.select(sa.null(), sa.null(), *figures).select_from(SurveyResponse)
        none_label = gettext("All tickets")
    query = _period(query.where(SurveyResponse.kind == SurveyKind.CSAT), start, end)
    if group_by is not None:
        query = query.group_by(key, label).order_by(label.is_(None), label, key)
    rows = [
        CsatFigures(
            key=row[0],
            label=row[1] or none_label,
            sent=int(row[2]),
            answered=int(row[3]),
            average=_average(row[4]),
            satisfied=int(row[5]),
        )
        for row in db.session.execute(query)
    ]
    return rows if group_by is not None else rows[0]


def _nps_query():
    score = SurveyResponse.score
    return sa.select(
        sa.func.count(SurveyResponse.id),
        sa.func.count(SurveyResponse.answered_at),
        _counted(score >= 9),
        _counted(sa.and_(score >= 7, score <= 8)),
        _counted(score <= 6),
        sa.func.min(SurveyResponse.sent_at),
    ).where(SurveyResponse.kind == SurveyKind.NPS)


def _nps_figures(name: str, row) -> NpsFigures:
    return NpsFigures(name, *(int(value) for value in row[:5]), first_sent_at=row[5])


def nps_summary(
    survey_name: str | None = None, start: datetime | None = None, end: datetime | None = None
) -> NpsFigures:
    """NPS of one round (`survey_name`), or of every NPS survey sent in [start, end)."""
    query = _period(_nps_query(), start, end)
    if survey_name is not None:
        query = query.where(SurveyResponse.survey_name == survey_name)
    return _nps_figures(survey_name or "", db.session.execute(query).one())


def nps_rounds(start: datetime | None = None, end: datetime | None = None) -> list[NpsFigures]:
    """Every NPS round with its figures, the most recently started first."""
    query = _period(_nps_query(), start, end)
    query = query.add_columns(SurveyResponse.survey_name).group_by(SurveyResponse.survey_name)
    query = query.order_by(sa.func.min(SurveyResponse.sent_at).desc(), SurveyResponse.survey_name)
    return [_nps_figures(row[-1], row) for row in db.session.execute(query)]
