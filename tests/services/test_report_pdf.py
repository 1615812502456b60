"""Report PDFs: the figures, table, chart, notes and definition of the report page, in the
reader's language with real Chinese glyphs; nothing fetched or read because of what the
records say; only the records the reader may read."""

from __future__ import annotations

import io
import os
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pypdf import PdfReader

from app import permissions
from app.extensions import db
from app.models.identity import Role
from app.models.sales import OpportunityStage
from app.services import report_pdf
from app.services.pdf import STATIC_FOLDER, PdfFetcher, logo_path
from tests.factories import make_team, make_user
from tests.services.test_reports_sales import at, deal

S = OpportunityStage
Q1 = {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"}


@pytest.fixture
def funnel():
    """Four deals of Q1 2026 (as in tests/services/test_reports_sales.py), one in euros."""
    team = make_team("North")
    rep = make_user(Role.SALES, team=team, name="Amy Rep")
    manager = make_user(Role.MANAGER, team=team, name="Mia Manager")
    deal(rep, 1000, [(S.PROSPECTING, at(1, 10)), (S.QUALIFICATION, at(1, 20)),
                     (S.PROPOSAL, at(2, 1)), (S.CLOSED_WON, at(2, 11))])  # fmt: skip
    deal(rep, 2000, [(S.PROSPECTING, at(1, 15)), (S.QUALIFICATION, at(1, 25)),
                     (S.CLOSED_LOST, at(2, 5))])  # fmt: skip
    deal(rep, 4000, [(S.PROSPECTING, at(2, 1)), (S.PROPOSAL, at(2, 3))])
    deal(rep, 500, [(S.PROSPECTING, at(2, 2))], currency="EUR")
    return {"rep": rep, "manager": manager}


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def fonts_of(data: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        fonts = page["/Resources"]["/Font"]
        names |= {str(fonts[key].get_object()["/BaseFont"]).split("+")[-1] for key in fonts}
    return names


def test_the_pdf_has_the_figures_table_notes_and_definition_of_the_page(funnel):
    counted, data = report_pdf.export("sales-funnel", Q1, funnel["manager"])

    assert data.startswith(b"%PDF")
    text = text_of(data)
    assert "Sales funnel" in text and "Prepared for Mia Manager" in text
    assert "Jan 1, 2026 to Mar 31, 2026 · amounts in USD" in text
    # Reached: 4, 3 (one skipped qualification), 2, 1, 1; amounts in USD only; conversion to
    # the next stage 3/4, 2/3, 1/2, 1/1; days in stage (10+10+2)/3, (12+11)/2, 10.
    for row in (
        "Prospecting 4 $7,000.00 75.0 % 7.3",
        "Qualification 3 $7,000.00 66.7 % 11.5",
        "Proposal 2 $5,000.00 50.0 % 10.0",
        "Negotiation 1 $1,000.00 100.0 % —",
        "Closed won 1 $1,000.00 — —",
    ):
        assert row in text, row
    assert "Deals created\n4" in text and "Created to won\n25.0 %" in text
    assert "The amounts leave out 1 deal in EUR (other currencies are never converted)." in text
    assert "How this report is counted" in text and "Lost deals count up to the last" in text
    assert "1 / 1" in text  # page numbers
    assert counted.download_name == "sales-funnel-2026-01-01-2026-03-31.pdf"


def test_the_chart_is_drawn_with_its_labels(funnel):
    _counted, data = report_pdf.export("sales-funnel", Q1, funnel["manager"])
    text = text_of(data)
    # Each stage is named twice: by its bar in the chart and in the table.
    assert text.count("Qualification") == 2 and text.count("Negotiation") == 2


def test_a_long_chart_draws_the_first_rows_and_the_table_all(funnel, monkeypatch):
    monkeypatch.setattr(report_pdf, "CHART_BARS", 2)
    for name in ("Cora Closer", "Dan Dealer"):
        rep = make_user(Role.SALES, team=funnel["rep"].team, name=name)
        deal(rep, 100, [(S.PROSPECTING, at(1, 5)), (S.CLOSED_WON, at(1, 6))])

    counted, data = report_pdf.export("win-rate", Q1, funnel["manager"])

    text = text_of(data)
    names = [row["group"] for row in counted.result.rows]
    assert len(names) == 3
    assert "The chart shows the first 2 of 3 rows; the table lists them all." in text
    assert [text.count(name) for name in names] == [2, 2, 1]


def test_a_chinese_reader_gets_chinese_text_in_one_chinese_font(funnel):
    reader = make_user(Role.MANAGER, team=funnel["rep"].team, name="林經理", locale="zh_Hant")
    deal(make_user(Role.SALES, team=funnel["rep"].team, name="王小明"), 300,
         [(S.PROSPECTING, at(3, 1)), (S.CLOSED_WON, at(3, 2))])  # fmt: skip

    _counted, funnel_pdf = report_pdf.export("sales-funnel", Q1, reader)
    _counted, by_rep = report_pdf.export("win-rate", Q1, reader)

    text = text_of(funnel_pdf)
    assert "銷售漏斗" in text and "林經理" in text
    assert text.count("開發") >= 2  # "Prospecting": the chart and the table
    assert "2026年1月1日" in text
    assert "王小明" in text_of(by_rep)
    # One family draws Latin and Chinese; the chart's generic "sans-serif" did not pull in
    # another font (such as Noto Sans CJK JP, whose glyphs are Japanese forms).
    fonts = fonts_of(funnel_pdf) - {"DejaVu-Sans-Bold"}  # the logo's own lettering
    assert fonts and all(name.startswith("Noto-Sans-CJK-TC") for name in fonts), fonts


def test_a_rep_gets_the_figures_of_their_own_deals_only(funnel):
    someone = make_user(Role.SALES, team=funnel["rep"].team, name="Ben Rep")
    _counted, data = report_pdf.export("sales-funnel", Q1, someone)
    assert "Prospecting 0 $0.00 — —" in text_of(data)


def test_unused_filters_and_an_empty_period_say_so(funnel):
    args = {"period": "custom", "start": "2024-01-01", "end": "2024-01-31", "team": "x"}
    _counted, data = report_pdf.export("win-rate", args, funnel["manager"])
    text = text_of(data)
    assert "Some filters were not used:" in text and "Choose a team from the list." in text
    assert "Nothing to count in this period with these filters." in text


def test_the_chosen_filters_are_named(funnel):
    args = {**Q1, "team": str(funnel["rep"].team_id), "owner": str(funnel["rep"].id),
            "region": "tw", "channel": "REFERRAL"}  # fmt: skip
    _counted, data = report_pdf.export("sales-funnel", args, funnel["manager"])
    assert "Team: North · Owner: Amy Rep · Country: TW · Channel: Referral" in text_of(data)


def test_relative_periods_count_from_the_day_given(funnel):
    counted, _data = report_pdf.export(
        "sales-funnel", {"period": "last_month"}, funnel["manager"], today=date(2026, 3, 1)
    )
    assert (counted.filters.start, counted.filters.last_day) == (date(2026, 2, 1),
                                                                 date(2026, 2, 28))  # fmt: skip


def test_nobody_exports_a_report_about_records_they_may_not_read(funnel):
    marketer = make_user(Role.MARKETING)
    permissions.set_grant(Role.MARKETING, "opportunity", "read", permissions.Scope.NONE)
    db.session.commit()
    with pytest.raises(permissions.PermissionDenied):
        report_pdf.export("sales-funnel", Q1, marketer)
    with pytest.raises(LookupError):
        report_pdf.export("no-such-report", Q1, funnel["manager"])


@pytest.fixture
def recorder():
    """A local HTTP server that counts the requests it gets."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


class RecordingFetcher(PdfFetcher):
    """The report renderer's fetcher, noting every URL it is asked for."""

    def __init__(self):
        super().__init__(logo_path())
        self.asked: list[str] = []

    def fetch(self, url, headers=None):
        self.asked.append(url)
        return super().fetch(url, headers)


def test_markup_in_records_is_neither_fetched_nor_read(funnel, recorder):
    port, hits = recorder
    payload = (
        f'<img src="http://127.0.0.1:{port}/x.png"><img src="file:///etc/passwd">'
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/s.css">'
    )
    evil = make_user(Role.SALES, team=funnel["rep"].team, name=payload[:120])
    deal(evil, 100, [(S.PROSPECTING, at(1, 5)), (S.CLOSED_WON, at(1, 6))])
    counted = report_pdf.count("win-rate", {**Q1, "owner": str(evil.id)}, funnel["manager"])
    fetcher = RecordingFetcher()

    text = text_of(report_pdf.render(counted, funnel["manager"], fetcher))

    assert hits == [] and fetcher.refused == []
    static = os.path.realpath(STATIC_FOLDER)
    allowed = {f"file://{static}/report.css", f"file://{os.path.realpath(logo_path())}"}
    assert set(fetcher.asked) == allowed, fetcher.asked
    # Escaped, the markup is text on the page (in the table and as the owner filter).
    assert text.count(f"http://127.0.0.1:{port}/x.png") >= 2
    assert "root:" not in text
