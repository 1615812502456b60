"""Report PDFs: a standard report run for one reader and rendered by WeasyPrint from
templates/pdf/report.html in the reader's language, with the figures, chart, table, notes
and definition its page shows. Used by the export job and by scheduled report emails.

The renderer loads nothing but the company logo and the files in static/pdf, through the
deny-by-default fetcher of app.services.pdf: whatever a report's rows say (customer,
product or people's names), nothing else is read or fetched.
"""

from __future__ import annotations

import dataclasses
import os
import re
from datetime import date

from flask import current_app, render_template
from flask_babel import force_locale, get_locale, gettext
from weasyprint import HTML
from weasyprint.urls import path2url

from app import timezones
from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Team, User
from app.models.marketing import Segment
from app.models.sales import Product
from app.services import exports, pdf, reports, saved_reports
from app.services.reports import Filters, Report, Result

# Bars a PDF's chart draws at most: more are unreadable on a page, and each label is text
# WeasyPrint lays out one by one (a 93-bar chart took ~0.9 s and three pages). The table
# below the chart lists every row.
CHART_BARS = 20


def filter_labels(report: Report, filters: Filters) -> list[str]:
    """The filters chosen besides the period, in words ("Team: Sales North"), for a PDF or
    a schedule, where no filter form shows them."""
    labels = []
    for label, model, record_id in (
        (gettext("Team"), Team, filters.team_id),
        (gettext("Owner"), User, filters.owner_id),
        (gettext("Product"), Product, filters.product_id),
        (gettext("Segment"), Segment, filters.segment_id),
    ):
        record = db.session.get(model, record_id) if record_id is not None else None
        if record is not None:
            labels.append(f"{label}: {record.name}")
    if filters.region:
        labels.append(f"{gettext('Country')}: {filters.region}")
    if filters.channel:
        channels = dict(report.channel_choices())
        labels.append(f"{gettext('Channel')}: {channels.get(filters.channel, filters.channel)}")
    if len(report.groups) > 1 and filters.group in report.groups:
        labels.append(f"{gettext('Group by')}: {report.groups[filters.group]}")
    return labels


def render_html(
    report: Report, filters: Filters, result: Result, reader, errors: dict | None = None
) -> str:
    """The HTML of a standard report's PDF (see render_result_html)."""
    return render_result_html(
        report, filters, result, reader, errors, filter_labels(report, filters)
    )


def render_result_html(report, filters, result: Result, reader, errors=None, labels=()) -> str:
    """The HTML the PDF is made from, in the current locale (escaped like every template);
    the time it was made shows in the reader's time zone."""
    logo = pdf.logo_path()
    chart_result, chart_note = result, ""
    if result.chart and result.chart.kind != "line" and len(result.rows) > CHART_BARS:
        chart_result = dataclasses.replace(result, rows=result.rows[:CHART_BARS])
        chart_note = gettext(
            "The chart shows the first %(shown)d of %(total)d rows; the table lists them all.",
            shown=CHART_BARS,
            total=len(result.rows),
        )
    return render_template(
        "pdf/report.html",
        report=report,
        filters=filters,
        result=result,
        chart_result=chart_result,
        chart_note=chart_note,
        errors=errors or {},
        filter_labels=list(labels),
        reader_name=reader.name,
        generated=timezones.format_local(utcnow(), timezones.user_zone(reader), "medium"),
        company_name=current_app.config.get("RAPPORT_COMPANY_NAME", ""),
        logo_url=path2url(os.path.realpath(logo)) if logo else None,
        lang=str(get_locale() or "en").replace("_", "-"),
    )


def render_pdf(
    report: Report,
    filters: Filters,
    result: Result,
    reader,
    errors: dict | None = None,
    fetcher: pdf.PdfFetcher | None = None,
) -> bytes:
    """The report as PDF bytes, in the current locale. Relative URLs resolve against
    static/pdf, and the fetcher refuses anything but the logo and that folder."""
    return write(render_html(report, filters, result, reader, errors), fetcher)


def write(html: str, fetcher: pdf.PdfFetcher | None = None) -> bytes:
    """PDF bytes of `html`: relative URLs resolve against static/pdf, and the fetcher
    refuses anything but the logo and that folder."""
    fetcher = fetcher or pdf.PdfFetcher(pdf.logo_path())
    return HTML(string=html, base_url=pdf.base_url(), url_fetcher=fetcher).write_pdf()


def render_custom(saved, reader) -> bytes:
    """The PDF of a saved custom report, run with `reader`'s rights (RecordInvalid when it
    cannot run for them), in the current locale."""
    heading, result = saved_reports.run_for_export(saved, reader)
    return write(render_result_html(heading, saved_reports.NoPeriod, result, reader))


def download_name(report: Report, filters: Filters) -> str:
    """A file name saying what and when: "sales-funnel-2026-01-01-2026-03-31.pdf"."""
    stem = re.sub(r"[^a-z0-9-]+", "-", f"{report.key}-{filters.start}-{filters.last_day}")
    return f"{stem}.pdf"


@dataclasses.dataclass(frozen=True)
class Counted:
    """A report run for one reader: what its PDF shows."""

    report: Report
    filters: Filters
    errors: dict
    result: Result

    @property
    def title(self) -> str:
        return str(self.report.title)

    @property
    def download_name(self) -> str:
        return download_name(self.report, self.filters)


def count(report_key: str, args, reader, today: date | None = None) -> Counted:
    """Run the standard report `report_key` for `reader` with the filter query `args`, in
    the current locale. `today` dates relative periods ("last month"; by default today in
    the installation's zone). LookupError for a report not in the catalogue;
    PermissionDenied when the reader may read none of the records it counts (rights are
    read now, not when the PDF was asked for)."""
    report = reports.get(report_key)
    if report is None:
        raise LookupError(f"no report {report_key!r}")
    filters, errors = report.parse_filters(args, today=today)
    return Counted(report, filters, errors, reports.run(report, filters, reader))


def render(counted: Counted, reader, fetcher: pdf.PdfFetcher | None = None) -> bytes:
    """The PDF of a counted report, in the current locale."""
    return render_pdf(
        counted.report, counted.filters, counted.result, reader, counted.errors, fetcher
    )


def export(report_key: str, args, reader, today: date | None = None) -> tuple[Counted, bytes]:
    """`count` and `render` in the reader's language: the counted report and its PDF."""
    with force_locale(reader.locale):
        counted = count(report_key, args, reader, today)
        return counted, render(counted, reader)


def store(data: bytes) -> str:
    """Write a rendered PDF among the job outputs (served by the jobs blueprint to the
    job's owner only); returns its file name."""
    name, path = exports.new_file("pdf")
    with open(path, "wb") as fh:
        fh.write(data)
    return name
