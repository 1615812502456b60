"""How well customers are served: SLA targets met and missed (first response and resolution
apart), and satisfaction (CSAT per agent or category, with the period's NPS)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.service import SlaBreach, SlaPolicy, SlaTarget, SurveyKind, SurveyResponse, Ticket
from app.services import survey_results
from app.services.reports import sql
from app.services.reports.results import Chart, Column, Figure, Result
from app.services.reports.service_tickets import (
    GROUP_LABELS,
    groups,
    labels,
    ordered,
    ticket_filters,
)

SLA_GROUPS = groups("priority", "policy", "team")
CSAT_GROUPS = groups("agent", "category")
# Each target: its name in the table, the ticket's due time and the moment it was reached.
TARGETS = {
    SlaTarget.FIRST_RESPONSE: ("response", Ticket.first_response_due_at, Ticket.first_responded_at),
    SlaTarget.RESOLUTION: ("resolution", Ticket.resolution_due_at, Ticket.resolved_at),
}


def _target(target: SlaTarget, first, until):
    """The breach joined, the policy and the counts of one target, for _sla_outcomes. A
    missed target fell due when its breach says (a pause or a priority change may have
    moved the ticket's due time since), any other when the ticket says; it was met when
    reached without a breach. Its policy is the breach's, else the ticket's: escalation
    may have given the ticket another policy since."""
    _name, due_column, reached = TARGETS[target]
    breach = sa.orm.aliased(SlaBreach)
    due = sa.func.coalesce(breach.due_at, due_column)
    fell_due = sa.and_(due >= first, due < until)
    counts = [
        sa.func.count(sa.case((fell_due, 1))),
        sa.func.count(sa.case((sa.and_(fell_due, breach.id.is_(None), reached.is_not(None)), 1))),
        sa.func.count(sa.case((sa.and_(fell_due, breach.id.is_not(None)), 1))),
    ]
    join = (breach, sa.and_(breach.ticket_id == Ticket.id, breach.target == target))
    return join, sa.func.coalesce(breach.policy_id, Ticket.sla_policy_id), fell_due, counts


def _sla_outcomes(group: str, where: list, first, until) -> dict:
    """{target name: {group key: (due, met, missed)}} for the targets of the tickets of
    `where` that fell due in [first, until), from one pass over the tickets. The priority
    of a target is its policy's (the ticket's when the policy is gone)."""
    parts = [_target(target, first, until) for target in TARGETS]
    policies = [policy for _join, policy, _due, _counts in parts]
    grouped = [*policies, Ticket.priority, Ticket.team_id]
    query = sa.select(*grouped, *[c for _j, _p, _d, counts in parts for c in counts])
    query = query.select_from(Ticket)
    for (model, condition), _policy, _due, _counts in parts:
        query = query.outerjoin(model, condition)
    query = query.where(sa.or_(*[due for _join, _policy, due, _counts in parts]), *where)
    priorities = dict(db.session.execute(sa.select(SlaPolicy.id, SlaPolicy.priority)).all())
    outcomes = {name: {} for name, _due, _reached in TARGETS.values()}
    for response_policy, resolution_policy, priority, team_id, *counts in db.session.execute(
        query.group_by(*grouped)
    ):
        policy_ids = (response_policy, resolution_policy)
        for index, (table, policy_id) in enumerate(zip(outcomes.values(), policy_ids, strict=True)):
            due, met, missed = counts[index * 3 : index * 3 + 3]
            if not due:
                continue
            key = {
                "priority": priorities.get(policy_id, priority),
                "policy": policy_id,
                "team": team_id,
            }[group]
            before = table.get(key, (0, 0, 0))
            table[key] = (before[0] + due, before[1] + met, before[2] + missed)
    return outcomes


def sla_attainment(filters, actor) -> Result:
    first, after = filters.moments()
    group = filters.group or "priority"
    outcomes = _sla_outcomes(group, ticket_filters(filters, actor), first, min(after, utcnow()))
    keys = set().union(*outcomes.values())
    names = labels(group, keys)
    rows = []
    for key in keys:
        row = {"key": key, "group": names[key]}
        for name, counts in outcomes.items():
            due, met, missed = counts.get(key, (0, 0, 0))
            row |= {
                f"{name}_due": due,
                f"{name}_met": met,
                f"{name}_missed": missed,
                f"{name}_share": sql.percent(met, met + missed),
            }
        rows.append(row)
    rows = ordered(group, rows, "resolution_due")
    figures, undecided = [], 0
    for name, title in (
        ("response", _l("First responses on time")),
        ("resolution", _l("Resolutions on time")),
    ):
        due, met, missed = (
            sum(row[f"{name}_{part}"] for row in rows) for part in ("due", "met", "missed")
        )
        figures.append(Figure(str(title), sql.percent(met, met + missed), "percent"))
        undecided += due - met - missed
    missed = sum(row["response_missed"] + row["resolution_missed"] for row in rows)
    figures.append(Figure(str(_l("Targets missed")), missed))
    notes = []
    if undecided:
        notes.append(
            ngettext(
                "%(num)d target fell due without an outcome yet (the ticket is paused or "
                "still unanswered, or was closed without a public reply): it is in neither "
                "share.",
                "%(num)d targets fell due without an outcome yet (the ticket is paused or "
                "still unanswered, or was closed without a public reply): they are in "
                "neither share.",
                undecided,
            )
        )
    columns = [Column("group", str(GROUP_LABELS[group]))]
    for name, title in (("response", _l("First response")), ("resolution", _l("Resolution"))):
        columns += [
            Column(f"{name}_due", gettext("%(target)s: due", target=title), "count"),
            Column(f"{name}_met", gettext("%(target)s: met", target=title), "count"),
            Column(f"{name}_missed", gettext("%(target)s: missed", target=title), "count"),
            Column(f"{name}_share", gettext("%(target)s: met %%", target=title), "percent"),
        ]
    return Result(
        columns=columns,
        rows=[{k: v for k, v in row.items() if k != "key"} for row in rows],
        figures=figures,
        chart=Chart("hbar", "group", ("resolution_share",)),
        notes=notes,
    )


def _average(total, count) -> Decimal | None:
    """A mean score to two decimals, as survey_results gives it."""
    if not count:
        return None
    return (Decimal(str(total)) / count).quantize(sql.CENT, ROUND_HALF_UP)


def csat(filters, actor) -> Result:
    first, after = filters.moments()
    group = filters.group or "agent"
    columns = [
        Column("group", str(GROUP_LABELS[group])),
        Column("sent", str(_l("Surveys sent")), "count"),
        Column("answered", str(_l("Answers")), "count"),
        Column("average", str(_l("Average score (1-5)")), "number"),
        Column("satisfied", str(_l("Satisfied (4 or 5)")), "percent"),
        Column("response_rate", str(_l("Response rate")), "percent"),
    ]
    if permissions.scope_for(actor, "survey", "read") is permissions.Scope.NONE:
        return Result(columns, [], notes=[gettext("You may not read the survey results.")])
    key = SurveyResponse.agent_id if group == "agent" else Ticket.category_id
    query = (
        sa.select(
            key,
            sa.func.count(SurveyResponse.id),
            sa.func.count(SurveyResponse.answered_at),
            sa.func.coalesce(sa.func.sum(SurveyResponse.score), 0),
            sa.func.count(SurveyResponse.score),
            sa.func.count(sa.case((SurveyResponse.score >= 4, 1))),
        )
        .join(Ticket, Ticket.id == SurveyResponse.ticket_id)
        .where(
            SurveyResponse.kind == SurveyKind.CSAT,
            SurveyResponse.sent_at >= first,
            SurveyResponse.sent_at < after,
            *ticket_filters(filters, actor, agent_column=SurveyResponse.agent_id),
        )
        .group_by(key)
    )
    found = db.session.execute(query).all()
    names = labels(group, [row[0] for row in found])
    per_group = [
        survey_results.CsatFigures(
            value, names[value], sent, answered, _average(total, scored), happy
        )
        for value, sent, answered, total, scored, happy in found
    ]
    overall = survey_results.CsatFigures(
        None,
        "",
        sent=sum(row[1] for row in found),
        answered=sum(row[2] for row in found),
        average=_average(sum(row[3] for row in found), sum(row[4] for row in found)),
        satisfied=sum(row[5] for row in found),
    )
    rows = [
        {
            "group": f.label,
            "sent": f.sent,
            "answered": f.answered,
            "average": f.average,
            "satisfied": f.satisfied_share,
            "response_rate": f.response_rate,
        }
        for f in per_group
    ]
    figures = [
        Figure(str(_l("Answers")), overall.answered),
        Figure(str(_l("Average score")), overall.average, "number"),
        Figure(str(_l("Satisfied")), overall.satisfied_share, "percent"),
    ]
    # NPS rates the company, not a ticket: every NPS survey sent in the period counts.
    nps = survey_results.nps_summary(start=first, end=after)
    hint = ngettext("%(num)d answer", "%(num)d answers", nps.answered)
    figures.append(Figure(str(_l("NPS")), nps.nps, "number", hint=hint))
    return Result(
        columns=columns,
        rows=sorted(rows, key=lambda row: (-row["answered"], row["group"])),
        figures=figures,
        chart=Chart("hbar", "group", ("average",)),
    )
