"""The catalogue of standard reports and the one way to run one: check that the reader may
read the records it counts, then compute it with the reader's filters."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from flask_babel import lazy_gettext as _l

from app import database, permissions
from app.extensions import db
from app.services.reports import filters
from app.services.reports.filters import Filters
from app.services.reports.results import Result

FAMILIES = {
    "sales": _l("Sales"),
    "customers": _l("Customers"),
    "marketing": _l("Marketing"),
    "service": _l("Service"),
}


@dataclasses.dataclass(frozen=True)
class Report:
    """One standard report. `entity` is the permission entity whose records it counts
    (a reader sees the figures of the records they may read); `filters` the filter names
    it takes; `channels` the (value, label) pairs its channel filter offers."""

    key: str
    family: str
    title: str
    definition: str
    entity: str
    compute: Callable[[Filters, object], Result]
    filters: tuple[str, ...] = ("period", "team", "owner")
    channels: Callable[[], list[tuple[str, str]]] | None = None
    # How the rows may be grouped ("rep", "source"...): key -> label; the first is the
    # default.
    groups: dict[str, str] = dataclasses.field(default_factory=dict)
    # A fragment its page adds to the toolbar (a report's own actions), or "".
    toolbar: str = ""
    # Whether computed results are kept a few minutes (a report that only reads stored
    # results, like the forecast, is as quick to read again and must show a refit at once).
    keep: bool = True
    # What the segment filter picks from: segments of "CONTACT"s or of "LEAD"s.
    segment_entity: str = ""
    # Other entities whose read rights also shape the figures (a stored result is shared
    # only by readers with the same scopes on all of them).
    also_reads: tuple[str, ...] = ()

    def channel_choices(self) -> list[tuple[str, str]]:
        return self.channels() if self.channels else []

    def parse_filters(self, args, today=None):
        """(Filters, errors) for this report from query-string `args`."""
        return filters.parse(
            args,
            self.filters,
            channels=[value for value, _label in self.channel_choices()],
            groups=list(self.groups),
            today=today,
            segment_entity=self.segment_entity,
        )


REPORTS: dict[str, Report] = {}


def register(report: Report) -> Report:
    if report.family not in FAMILIES:
        raise ValueError(f"unknown report family {report.family!r}")
    REPORTS[report.key] = report
    return report


def get(key: str) -> Report | None:
    return REPORTS.get(key)


def may_read(actor, report: Report) -> bool:
    return permissions.scope_for(actor, report.entity, "read") is not permissions.Scope.NONE


def readable(actor) -> list[Report]:
    """The reports `actor` may open, in catalogue order."""
    return [report for report in REPORTS.values() if may_read(actor, report)]


def run(report: Report, filters: Filters, actor) -> Result:
    """Compute `report` for `actor`; PermissionDenied when they may read none of its
    records."""
    if not may_read(actor, report):
        raise permissions.PermissionDenied()
    database.room_for_hashes(db.session)  # aggregates and sorts stay in memory
    return report.compute(filters, actor)
