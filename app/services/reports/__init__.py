"""The standard reports of MISSION.md §5, each a Report in the catalogue
(app.services.reports.registry): its definition in words, the filters it takes, the
permission entity whose records it counts, and one function computing a Result with
aggregate SQL (app.services.reports.results). A reader sees the figures of the records
they may read, narrowed by the filters they chose (app.services.reports.filters).

The families register their reports when imported below."""

# The catalogue lists the reports in the order they register.
# isort: off
from app.services.reports import sales, revenue, forecast  # noqa: F401
from app.services.reports import customers, marketing, service  # noqa: F401

# isort: on
from app.services.reports.filters import Filters, parse
from app.services.reports.registry import FAMILIES, REPORTS, Report, get, may_read, readable, run
from app.services.reports.results import Chart, Column, Figure, Result

__all__ = [
    "FAMILIES",
    "REPORTS",
    "Chart",
    "Column",
    "Figure",
    "Filters",
    "Report",
    "Result",
    "get",
    "may_read",
    "parse",
    "readable",
    "run",
]
