"""The home dashboard: a catalogue of panels (a standard report shown compact, a sales
figure, the reader's tasks and ticket queues), the panels each role starts with and each
user's choice (DashboardLayout). A panel shows the records of its permission `entity`
its reader may read; app.services.dashboard_cache computes, caches and warms them."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.analytics import DashboardLayout
from app.models.identity import Role, User
from app.services import dashboard_panels as figures
from app.services import reports
from app.services.reports import filters as report_filters
from app.services.reports.filters import Filters
from app.services.reports.registry import Report
from app.services.reports.results import Result
from app.services.validation import RecordInvalid

log = logging.getLogger(__name__)

# The periods the home page offers (app.services.reports.filters names them).
PERIODS = (
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_12_months",
)
DEFAULT_PERIOD = "this_month"
TOP_ROWS = 5  # a report panel shows its first rows; the full report has the rest
MAX_PANELS = 12


@dataclasses.dataclass(frozen=True)
class Panel:
    """One panel. `compute(filters, actor)` gives its Result; `report` is the standard
    report it shows compact (its link then opens that report with the same filters),
    else `endpoint` is the page it links to; `row_link` (endpoint, argument, row key)
    links each row's first cell. A `personal` panel shows the reader's own work; a panel
    that is not `periodic` ignores the period (the pipeline as it stands)."""

    key: str
    title: object
    entity: str
    compute: Callable[[Filters, User], Result]
    description: object = ""
    report: Report | None = None
    args: tuple[tuple[str, str], ...] = ()
    endpoint: str = "reports.index"
    row_link: tuple[str, str, str] | None = None
    personal: bool = False
    periodic: bool = True
    wide: bool = False  # drawn across two columns of the grid (a chart)

    def filters(self, period: str, today=None) -> Filters:
        args = {"period": period, **dict(self.args)}
        if self.report is not None:
            return self.report.parse_filters(args, today=today)[0]
        return report_filters.parse(args, ("period",), today=today)[0]

    def link(self, filters: Filters) -> tuple[str, dict]:
        """The endpoint and arguments of the full page behind the panel."""
        if self.report is not None:
            return "reports.show", {"key": self.report.key, **filters.args()}
        return self.endpoint, {}


PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> Panel:
    PANELS[panel.key] = panel
    return panel


def compact(result: Result, top: int = TOP_ROWS) -> Result:
    """`result` cut to its first `top` rows, saying how many more the report has (a
    series over time keeps every point)."""
    hidden = len(result.rows) - top
    if hidden <= 0 or (result.chart is not None and result.chart.kind == "line"):
        return result
    more = ngettext(
        "%(num)d more row in the full report.", "%(num)d more rows in the full report.", hidden
    )
    return dataclasses.replace(
        result, rows=result.rows[:top], totals=None, notes=[more, *result.notes]
    )


def report_panel(
    report_key: str, group: str = "", key: str = "", top: int = TOP_ROWS
) -> Panel | None:
    """A standard report as a panel: its chart, headline figures and first rows, grouped
    by `group` (one of the report's groupings) when given. None (and a warning) when the
    catalogue has no such report or grouping, so a renamed report costs a panel, not
    the application; tests/services/test_dashboards.py checks that none is missing."""
    report = reports.get(report_key)
    if report is None or (group and group not in report.groups):
        log.warning("dashboard panel left out: no report %r grouped by %r", report_key, group)
        return None
    title = report.title
    if group:
        title = _l("%(report)s by %(group)s", report=report.title, group=report.groups[group])

    def compute(filters: Filters, actor) -> Result:
        return compact(reports.run(report, filters, actor), top)

    return Panel(
        key=key or report_key,
        title=title,
        entity=report.entity,
        compute=compute,
        description=report.definition,
        report=report,
        args=(("group", group),) if group else (),
        wide=True,
    )


# The catalogue, in the order the customize page lists it. A report panel is one line.
CATALOGUE = (
    Panel("won-vs-target", _l("Won vs target"), "opportunity", figures.won_vs_target,
          _l("Deals won in the period against the target of your team or your own."),
          endpoint="sales.dashboard"),
    Panel("pipeline", _l("Pipeline by stage"), "opportunity", figures.pipeline,
          _l("Open deals per stage, with their amount and weighted amount."),
          endpoint="sales.dashboard", periodic=False),
    Panel("top-deals", _l("Top deals"), "opportunity", figures.top_deals,
          _l("The ten largest open deals."), endpoint="sales.board",
          row_link=("sales.opportunity_show", "opportunity_id", "id"), periodic=False),
    Panel("activities-done", _l("Activities done"), "activity", figures.activities_done,
          _l("Calls, emails, meetings, notes and tasks completed in the period."),
          endpoint="sales.dashboard", wide=True),
    Panel("my-tasks", _l("My open tasks"), "activity", figures.my_tasks,
          _l("Your open tasks and meetings: overdue, due today and later."),
          endpoint="activities.tasks", personal=True, periodic=False),
    Panel("ticket-queues", _l("My ticket queues"), "ticket", figures.ticket_counts,
          _l("How many tickets wait in each of your queues."), endpoint="service.queue",
          row_link=("service.queue", "view", "view"), personal=True, periodic=False),
    Panel("customers-at-risk", _l("Customers at risk"), "customer", figures.customers_at_risk,
          _l("The customers most likely to stop ordering, with the main factor."),
          endpoint="customers.at_risk", row_link=("customers.show", "customer_id", "id"),
          periodic=False),
    report_panel("sales-funnel"),
    report_panel("win-rate", group="rep"),
    report_panel("win-rate", group="source", key="win-rate-by-source"),
    report_panel("product-sales"),
    report_panel("regional-sales"),
    report_panel("campaign-roi"),
    report_panel("lead-conversion", group="source"),
    report_panel("channel-effectiveness"),
    report_panel("ticket-volume", group="channel"),
    report_panel("ticket-backlog"),
    report_panel("first-response-time", group="agent"),
    report_panel("sla-attainment", group="priority"),
    report_panel("csat-by-agent"),
    report_panel("churn-rate"),
    report_panel("ltv"),
    report_panel("satisfaction-trend"),
    report_panel("cac"),
)  # fmt: skip
for _panel in CATALOGUE:
    if _panel is not None:
        register(_panel)

ROLE_DEFAULTS: dict[Role, tuple[str, ...]] = {
    Role.ADMIN: ("won-vs-target", "pipeline", "sales-funnel", "product-sales", "campaign-roi",
                 "sla-attainment", "ticket-queues"),
    Role.MANAGER: ("won-vs-target", "pipeline", "win-rate", "sales-funnel", "top-deals",
                   "customers-at-risk", "product-sales", "sla-attainment"),
    Role.SALES: ("my-tasks", "won-vs-target", "pipeline", "top-deals", "activities-done",
                 "win-rate-by-source"),
    Role.MARKETING: ("campaign-roi", "lead-conversion", "channel-effectiveness",
                     "win-rate-by-source", "my-tasks"),
    Role.SUPPORT: ("ticket-queues", "my-tasks", "ticket-backlog", "first-response-time",
                   "sla-attainment", "csat-by-agent"),
}  # fmt: skip


def get(key: str) -> Panel | None:
    return PANELS.get(key)


def may_read(actor, panel: Panel) -> bool:
    return permissions.scope_for(actor, panel.entity, "read") is not permissions.Scope.NONE


def offered(actor) -> list[Panel]:
    """The panels `actor` may put on their dashboard (those whose records they may read)."""
    return [panel for panel in PANELS.values() if may_read(actor, panel)]


def layout(actor) -> list[Panel]:
    """`actor`'s panels in order: their choice, else their role's defaults; a panel they
    may no longer read is left out."""
    stored = db.session.get(DashboardLayout, actor.id)
    keys = stored.panels if stored is not None else ROLE_DEFAULTS.get(actor.role, ())
    chosen = [PANELS[key] for key in keys if key in PANELS]
    return [panel for panel in chosen if may_read(actor, panel)]


def has_own_layout(actor) -> bool:
    return db.session.get(DashboardLayout, actor.id) is not None


def save_layout(actor, keys: list[str]) -> list[Panel]:
    """Keep `keys` (in order) as `actor`'s dashboard; RecordInvalid for a panel that does
    not exist or that they may not read, a panel twice, or too many."""
    allowed = {panel.key for panel in offered(actor)}
    refused = [str(key) for key in keys if key not in allowed]
    if refused:
        message = gettext("These panels cannot be added: %(panels)s.", panels=", ".join(refused))
        raise RecordInvalid({"panels": message})
    if len(set(keys)) != len(keys):
        raise RecordInvalid({"panels": gettext("Choose each panel once.")})
    if len(keys) > MAX_PANELS:
        message = gettext("Choose at most %(num)d panels.", num=MAX_PANELS)
        raise RecordInvalid({"panels": message})
    stored = db.session.get(DashboardLayout, actor.id)
    if stored is None:
        stored = DashboardLayout(user_id=actor.id)
        db.session.add(stored)
    stored.panels = list(keys)
    db.session.flush()
    return layout(actor)


def reset_layout(actor) -> None:
    """Back to the defaults of `actor`'s role."""
    db.session.execute(sa.delete(DashboardLayout).where(DashboardLayout.user_id == actor.id))
    db.session.flush()


def period_of(raw) -> str:
    """A period the home page offers (the default for anything else)."""
    return raw if raw in PERIODS else DEFAULT_PERIOD
