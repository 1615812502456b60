"""The home dashboard's panels that are not standard reports, each a function
(filters, actor) -> Result so every panel is cached, stored and drawn the same way: the
sales figures of app.services.sales_performance (open pipeline, won against target,
activities done, top deals) and the reader's own work (open tasks, ticket queues).

Whose figures: everything the reader may read (ALL), their team's (TEAM) or their own,
from their read scope on the panel's entity, as the sales dashboard decides."""

from __future__ import annotations

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.models.orders import TargetPeriod
from app.services import agenda, ticket_queues
from app.services import sales_performance as perf
from app.services.opportunities import STAGE_LABELS
from app.services.predictions import churn_factors, churn_lists
from app.services.reports import sql
from app.services.reports.filters import Filters
from app.services.reports.results import Chart, Column, Figure, Result
from app.services.timeline import KIND_LABELS

# The period a won-against-target panel compares with a target (targets are set per
# month or quarter); other periods show what was won without a target.
TARGET_PERIODS = {
    "this_month": TargetPeriod.MONTH,
    "last_month": TargetPeriod.MONTH,
    "this_quarter": TargetPeriod.QUARTER,
    "last_quarter": TargetPeriod.QUARTER,
}
QUEUE_LABELS = {
    "mine": _l("My tickets"),
    "unassigned": _l("Unassigned"),
    "team": _l("My team"),
    "breaching": _l("Breaching soon"),
    "all": _l("All"),
}
TASK_ROWS = 5


def figure_scope(actor, entity: str) -> perf.Scope:
    """Whose figures `actor` sees on `entity`: everybody's, their team's or their own."""
    scope = permissions.scope_for(actor, entity, "read")
    if scope is permissions.Scope.ALL:
        return perf.Scope.visible_to(actor)
    if scope is permissions.Scope.TEAM and actor.team is not None:
        return perf.Scope.for_team(actor.team)
    return perf.Scope.for_user(actor)


def _excluded_notes(excluded: list[perf.CurrencyTotal]) -> list[str]:
    return [
        ngettext(
            "%(num)d deal in %(currency)s is left out (other currencies are never converted).",
            "%(num)d deals in %(currency)s are left out (other currencies are never converted).",
            total.count,
            currency=total.currency,
        )
        for total in excluded
    ]


def pipeline(filters: Filters, actor) -> Result:
    """Open deals per stage (whatever the period: the pipeline as it stands)."""
    summary = perf.pipeline_by_stage(actor, figure_scope(actor, "opportunity"), filters.currency)
    rows = [
        {
            "stage": stage.label,
            "deals": stage.count,
            "amount": stage.amount,
            "weighted": stage.weighted,
        }
        for stage in summary.stages
    ]
    return Result(
        columns=[
            Column("stage", gettext("Stage")),
            Column("deals", gettext("Deals"), "count"),
            Column("amount", gettext("Amount"), "money"),
            Column("weighted", gettext("Weighted"), "money"),
        ],
        rows=rows if summary.count else [],
        figures=[
            Figure(gettext("Open deals"), summary.count),
            Figure(gettext("Amount"), summary.amount, "money"),
            Figure(gettext("Weighted"), summary.weighted, "money"),
        ],
        chart=Chart("hbar", "stage", ("amount",)),
        notes=_excluded_notes(summary.excluded),
        currency=summary.currency,
    )


def won_vs_target(filters: Filters, actor) -> Result:
    """Deals won in the period against the target of the reader's scope (a user's, a
    team's, or the sum of the teams' for everybody) when the period is a month or a
    quarter."""
    scope = figure_scope(actor, "opportunity")
    kind = TARGET_PERIODS.get(filters.period)
    target = perf.scope_target(scope, kind, filters.start) if kind else None
    currency = target.currency if target else filters.currency
    won = perf.won_in_period(scope, filters.start, filters.end, currency)
    amount = target.amount if target else None
    notes = _excluded_notes(won.excluded)
    if kind is None:
        notes.append(gettext("Targets are set per month or quarter: choose one to compare."))
    return Result(
        columns=[],
        rows=[],
        figures=[
            Figure(gettext("Won"), won.amount, "money"),
            Figure(gettext("Deals won"), won.count),
            Figure(gettext("Target"), amount, "money"),
            Figure(gettext("Attainment"), perf.attainment(won.amount, amount), "percent"),
        ],
        notes=notes,
        currency=currency,
    )


def activities_done(filters: Filters, actor) -> Result:
    """Activities completed in the period, per kind."""
    counts = perf.activity_counts(figure_scope(actor, "activity"), filters.start, filters.end)
    total = sum(counts.values())
    return Result(
        columns=[Column("kind", gettext("Kind")), Column("done", gettext("Done"), "count")],
        rows=[
            {"kind": str(KIND_LABELS.get(kind.value.lower(), kind.value)), "done": count}
            for kind, count in counts.items()
        ]
        if total
        else [],
        figures=[Figure(gettext("Activities done"), total)],
        chart=Chart("hbar", "kind", ("done",)),
    )


def top_deals(filters: Filters, actor) -> Result:
    """The ten largest open deals, as on the sales dashboard; each row keeps its own
    currency (never converted)."""
    deals = perf.top_deals(actor, 10, figure_scope(actor, "opportunity"))
    return Result(
        columns=[
            Column("deal", gettext("Deal")),
            Column("customer", gettext("Customer")),
            Column("stage", gettext("Stage")),
            Column("amount", gettext("Amount"), "money"),
        ],
        rows=[
            {
                "id": deal.id,
                "deal": deal.name,
                "customer": deal.customer_name,
                "stage": str(STAGE_LABELS[deal.stage]),
                "amount": sql.money(deal.amount),
                "currency": deal.currency,
            }
            for deal in deals
        ],
        currency=filters.currency,
    )


def my_tasks(filters: Filters, actor) -> Result:
    """The reader's own open tasks and meetings: how many are overdue, due today and
    later, and the next few (whatever the period)."""
    items = agenda.agenda(actor)
    rows = [
        {"subject": item.subject, "due": item.due_at, "overdue": item in items.overdue}
        for item in items.items[:TASK_ROWS]
    ]
    notes = []
    if len(items.items) > TASK_ROWS:
        hidden = len(items.items) - TASK_ROWS
        notes.append(ngettext("%(num)d more in My tasks.", "%(num)d more in My tasks.", hidden))
    return Result(
        columns=[Column("subject", gettext("Task")), Column("due", gettext("Due"), "date")],
        rows=rows,
        figures=[
            Figure(gettext("Overdue"), len(items.overdue)),
            Figure(gettext("Today"), len(items.today)),
            Figure(gettext("Upcoming"), len(items.upcoming)),
        ],
        notes=notes,
    )


def ticket_counts(filters: Filters, actor) -> Result:
    """How many tickets each of the reader's queues holds now (one query)."""
    counts = ticket_queues.view_counts(actor)
    return Result(
        columns=[Column("queue", gettext("Queue")), Column("tickets", gettext("Tickets"))],
        rows=[
            {
                "view": view,
                "queue": str(QUEUE_LABELS[view]),
                "tickets": ticket_queues.count_label(counts[view]),
            }
            for view in ticket_queues.VIEWS
        ],
    )


def customers_at_risk(filters: Filters, actor) -> Result:
    """The riskiest customers the reader may read (churn risk medium or high, as the last
    scoring run stored it), with how many are at each level."""
    counts = churn_lists.level_counts(actor)
    rows = []
    for customer in churn_lists.top_at_risk(actor, 10):
        raising = [f for f in customer.churn_factors or [] if f.get("weight", 0) > 0]
        label = churn_factors.FACTOR_LABELS.get(raising[0]["feature"], "") if raising else ""
        level = customer.churn_level or ""
        rows.append(
            {
                "id": customer.id,
                "customer": customer.name,
                "level": str(churn_factors.LEVEL_LABELS.get(level, level)),
                "risk": round(customer.churn_risk * 100, 1),
                "factor": str(label),
            }
        )
    return Result(
        columns=[
            Column("customer", gettext("Customer")),
            Column("level", gettext("Level")),
            Column("risk", gettext("Churn risk"), "percent"),
            Column("factor", gettext("Main factor")),
        ],
        rows=rows,
        figures=[
            Figure(gettext("High risk"), counts["high"]),
            Figure(gettext("Medium risk"), counts["medium"]),
        ],
    )
