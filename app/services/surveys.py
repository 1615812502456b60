"""Satisfaction surveys: a CSAT question (1-5) after a ticket is resolved, and NPS rounds
(0-10, "how likely are you to recommend us") sent to a segment of contacts.

Each survey is one SurveyResponse row, emailed as a set of one-click links: every link
carries a signed token naming the response and its score, needs no login, and counts once
(the first click records the score; later clicks change nothing). A comment can be added
once after answering.

The NPS "segment" is, for now, a filter on contacts (`Segment`: their customer's status and
ABC class, tags on the contact or on its customer); contacts without an email address or
already asked in the same round are always left out. Marketing segments replace this filter
in a later issue.

Results (averages, NPS) are computed in app/services/survey_results.py.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from app import permissions, queues
from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Contact, Customer, CustomerStatus
from app.models.service import SurveyKind, SurveyResponse, Ticket, TicketStatus
from app.services import tags, tickets
from app.services.after_commit import call_after_commit
from app.services.validation import RecordInvalid

ENTITY = "survey"
CSAT_SCORES = range(1, 6)
NPS_SCORES = range(0, 11)
# A ticket resolved, reopened and resolved again within this time asks only once.
CSAT_QUIET_DAYS = 7
NAME_LENGTH = 120
COMMENT_LENGTH = 2000
ABC_CLASSES = ("A", "B", "C")
CSAT_LABELS = {
    1: _l("Very dissatisfied"),
    2: _l("Dissatisfied"),
    3: _l("Neither satisfied nor dissatisfied"),
    4: _l("Satisfied"),
    5: _l("Very satisfied"),
}


def scores_of(kind: SurveyKind) -> range:
    return CSAT_SCORES if kind is SurveyKind.CSAT else NPS_SCORES


# -- links -------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="survey-answer")


def answer_token(response: SurveyResponse, score: int | None) -> str:
    """The signed part of a one-click link answering `response` with `score` (None: a link
    that leaves the score to choose)."""
    return _serializer().dumps({"r": response.id, "s": score})


def read_token(token: str) -> tuple[SurveyResponse, int | None] | None:
    """(the response, the score the link carries), or None for a forged or unknown link."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int):
        return None
    response = db.session.get(SurveyResponse, data["r"])
    score = data.get("s")
    if response is None:
        return None
    if score is not None and (type(score) is not int or score not in scores_of(response.kind)):
        return None
    return response, score


@dataclasses.dataclass
class Answer:
    response: SurveyResponse
    recorded: bool  # this call recorded the score (False: it was recorded before)
    commented: bool  # this call saved the comment


def answer(token: str, score: int | None = None, comment: str = "") -> Answer | None:
    """Record the score a link carries (or `score`, for a link without one) the first time
    it is used, and `comment` if none was given yet; None for a forged or unknown link.
    Single use even under concurrent clicks: the row is updated only while unanswered."""
    found = read_token(token)
    if found is None:
        return None
    response, linked_score = found
    chosen = linked_score if linked_score is not None else score
    text = str(comment or "").strip()
    if len(text) > COMMENT_LENGTH:
        raise RecordInvalid(
            {"comment": gettext("Use at most %(max)d characters.", max=COMMENT_LENGTH)}
        )
    recorded = False
    if response.answered_at is None:
        if chosen not in scores_of(response.kind):
            raise RecordInvalid({"score": gettext("Choose a score.")})
        recorded = _update_where(
            response, SurveyResponse.answered_at.is_(None), score=chosen, answered_at=utcnow()
        )
    commented = False
    if text:
        commented = _update_where(
            response,
            sa.and_(SurveyResponse.answered_at.is_not(None), SurveyResponse.comment == ""),
            comment=text,
        )
        if not commented:
            raise RecordInvalid({"comment": gettext("Your comment was already recorded.")})
    return Answer(response, recorded, commented)


def _update_where(response: SurveyResponse, condition, **values) -> bool:
    result = db.session.execute(
        sa.update(SurveyResponse)
        .where(SurveyResponse.id == response.id, condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(response)
    return result.rowcount == 1


# -- CSAT ------------------------------------------------------------------------------


@tickets.subscribe
def _on_ticket_event(event: str, ticket: Ticket, **details) -> None:
    if event != "status_changed" or ticket.status is not TicketStatus.RESOLVED:
        return
    previous = details.get("previous")
    if previous is not None and previous.is_done:
        return
    ask_for_csat(ticket)


def ask_for_csat(ticket: Ticket) -> SurveyResponse | None:
    """Create the CSAT survey of a just-resolved ticket and email it to its contact after the
    commit; None when there is no one to ask or they were asked about it lately."""
    contact = db.session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    if contact is None or not contact.email.strip():
        return None
    now = utcnow()
    asked_lately = db.session.scalar(
        sa.select(SurveyResponse.id)
        .where(
            SurveyResponse.kind == SurveyKind.CSAT,
            SurveyResponse.ticket_id == ticket.id,
            SurveyResponse.sent_at > now - timedelta(days=CSAT_QUIET_DAYS),
        )
        .limit(1)
    )
    if asked_lately is not None:
        return None
    response = SurveyResponse(
        kind=SurveyKind.CSAT,
        contact_id=contact.id,
        ticket_id=ticket.id,
        agent_id=ticket.owner_id,
        sent_at=now,
    )
    db.session.add(response)
    db.session.flush()
    response_id = response.id
    call_after_commit(lambda: _enqueue_csat_email(response_id))
    return response


def _enqueue_csat_email(response_id: int) -> None:
    from app.jobs import surveys as jobs

    queues.enqueue_durably(
        jobs.send_csat_email,
        response_id,
        actor=None,
        title=gettext("Satisfaction survey email"),
        queue_name="mail",
    )


# -- NPS -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Segment:
    """Which contacts an NPS round asks (empty fields filter nothing)."""

    customer_status: CustomerStatus | None = None
    abc_class: str | None = None
    tags: tuple[str, ...] = ()


@dataclasses.dataclass
class NpsRound:
    survey_name: str
    response_ids: list[int]
    skipped_no_email: int = 0
    skipped_already_asked: int = 0

    @property
    def created(self) -> int:
        return len(self.response_ids)


def _segment_filter(segment: Segment):
    clauses = []
    if segment.customer_status is not None:
        clauses.append(Customer.status == segment.customer_status)
    if segment.abc_class:
        if segment.abc_class not in ABC_CLASSES:
            raise RecordInvalid({"abc_class": gettext("Choose A, B or C.")})
        clauses.append(Customer.abc_class == segment.abc_class)
    if segment.tags:
        try:
            clauses.append(
                sa.or_(
                    tags.filter_clause("contacts", Contact.id, list(segment.tags)),
                    tags.filter_clause("customers", Contact.customer_id, list(segment.tags)),
                )
            )
        except tags.TagError as error:
            raise RecordInvalid({"tags": str(error)}) from error
    return sa.and_(sa.true(), *clauses)


def send_nps(actor, survey_name: str, segment: Segment) -> NpsRound:
    """Create one NPS survey per contact of `segment` who has an email address and was not
    asked in the round `survey_name` yet. The caller commits, then `queue_nps_emails`."""
    permissions.require(actor, "create", ENTITY)
    name = " ".join(str(survey_name or "").split())
    if not name:
        raise RecordInvalid({"survey_name": gettext('Name the round, e.g. "NPS 2026 Q4".')})
    if len(name) > NAME_LENGTH:
        raise RecordInvalid(
            {"survey_name": gettext("Use at most %(max)d characters.", max=NAME_LENGTH)}
        )
    has_email = sa.func.trim(Contact.email) != ""
    asked = (
        sa.select(SurveyResponse.id)
        .where(
            SurveyResponse.kind == SurveyKind.NPS,
            SurveyResponse.survey_name == name,
            SurveyResponse.contact_id == Contact.id,
        )
        .exists()
    )
    base = sa.select(Contact.id).outerjoin(Customer, Customer.id == Contact.customer_id)
    base = base.where(_segment_filter(segment))
    counts = db.session.execute(
        base.with_only_columns(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((~has_email, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((sa.and_(has_email, asked), 1), else_=0)), 0),
        )
    ).one()
    contact_ids = db.session.scalars(base.where(has_email, ~asked).order_by(Contact.id)).all()
    now = utcnow()
    responses = [
        SurveyResponse(kind=SurveyKind.NPS, contact_id=contact_id, survey_name=name, sent_at=now)
        for contact_id in contact_ids
    ]
    db.session.add_all(responses)
    db.session.flush()
    return NpsRound(
        survey_name=name,
        response_ids=[response.id for response in responses],
        skipped_no_email=int(counts[1]),
        skipped_already_asked=int(counts[2]),
    )


def queue_nps_emails(nps_round: NpsRound, actor):
    """Queue the job that emails a round's new surveys in batches (after the commit that
    created them); returns the RQ job, whose progress the page shows."""
    from app.jobs import surveys as jobs

    ids = nps_round.response_ids
    return queues.enqueue(
        jobs.send_nps_emails,
        nps_round.survey_name,
        min(ids, default=0),
        max(ids, default=0),
        actor=actor,
        title=gettext("NPS survey emails: %(name)s", name=nps_round.survey_name),
        queue_name="mail",
    )


def nps_response_ids(survey_name: str, first_id: int, last_id: int) -> list[int]:
    """The unanswered surveys of round `survey_name` created by one `send_nps` call."""
    return list(
        db.session.scalars(
            sa.select(SurveyResponse.id)
            .where(
                SurveyResponse.kind == SurveyKind.NPS,
                SurveyResponse.survey_name == survey_name,
                SurveyResponse.id.between(first_id, last_id),
                SurveyResponse.answered_at.is_(None),
            )
            .order_by(SurveyResponse.id)
        )
    )
