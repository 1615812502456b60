"""A reader's home dashboard taken away: every panel of their layout for one period, as a
PDF (rendered by WeasyPrint like a report's, with each panel's figures, chart and table)
or as one CSV (each panel's table under its title). The panels are what the dashboard
shows: the kept results of the reader's scope, or computed now."""

from __future__ import annotations

import dataclasses

from flask import current_app, render_template
from flask_babel import get_locale, gettext

from app import timezones
from app.models.base import utcnow
from app.services import dashboard_cache, dashboards, pdf, report_pdf
from app.services.dashboard_cache import Shown
from app.services.reports.filters import PERIODS


def panels(reader, period: str) -> list[Shown]:
    """The reader's panels over `period`, in their order (each checked against their
    rights as dashboard_cache.show does)."""
    period = dashboards.period_of(period)
    return [dashboard_cache.show(panel, reader, period) for panel in dashboards.layout(reader)]


def _charted(shown: Shown):
    """The result the panel's chart is drawn from: a bar chart stops at CHART_BARS."""
    result = shown.result
    if result.chart and result.chart.kind != "line" and len(result.rows) > report_pdf.CHART_BARS:
        return dataclasses.replace(result, rows=result.rows[: report_pdf.CHART_BARS])
    return result


def render_pdf(reader, period: str, fetcher: pdf.PdfFetcher | None = None) -> bytes:
    """The dashboard as PDF bytes, in the current locale."""
    shown = panels(reader, period)
    first = shown[0].filters if shown else None
    html = render_template(
        "pdf/dashboard.html",
        sections=[(item, _charted(item)) for item in shown],
        period_label=str(PERIODS[dashboards.period_of(period)]),
        filters=first,
        reader_name=reader.name,
        generated=timezones.format_local(utcnow(), timezones.user_zone(reader), "medium"),
        company_name=current_app.config.get("RAPPORT_COMPANY_NAME", ""),
        lang=str(get_locale() or "en").replace("_", "-"),
    )
    return report_pdf.write(html, fetcher)


def csv_table(reader, period: str) -> tuple[list[str], list[list]]:
    """One CSV of every panel: a row with the panel's title, its table's header and rows,
    then an empty row. The first row says whose dashboard and which period."""
    period = dashboards.period_of(period)
    header = [gettext("Dashboard of %(name)s", name=reader.name), str(PERIODS[period])]
    rows: list[list] = []
    for item in panels(reader, period):
        table_header, table_rows = item.result.table()
        rows += [[str(item.panel.title)], table_header, *table_rows, []]
    return header, rows


def download_name(period: str) -> str:
    return f"dashboard-{dashboards.period_of(period)}-{utcnow():%Y-%m-%d}"
