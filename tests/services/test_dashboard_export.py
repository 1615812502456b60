"""A home dashboard taken away: its PDF and CSV hold every panel of the reader's layout
with the figures the dashboard shows, counted with the reader's rights."""

from __future__ import annotations

import io

from pypdf import PdfReader

from app.extensions import db
from app.models.identity import Role
from app.services import dashboard_export, dashboards
from tests.factories import make_team, make_user
from tests.services.test_dashboards import closed


def _team():
    north = make_team("North")
    mia = make_user(Role.MANAGER, north, name="Mia")
    amy = make_user(Role.SALES, north, name="Amy")
    cal = make_user(Role.SALES, make_team("South"), name="Cal")
    closed(amy, "CLOSED_WON", "2000")
    closed(cal, "CLOSED_WON", "7000")
    dashboards.save_layout(mia, ["won-vs-target", "win-rate"])
    db.session.commit()
    return mia


def test_the_pdf_holds_each_panel_with_the_readers_figures(app):
    mia = _team()
    with app.test_request_context():
        data = dashboard_export.render_pdf(mia, "this_month")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert text.startswith("%PDF") is False and "Dashboard" in text
    assert "Prepared for Mia" in text
    assert "Won vs target" in text and "Win rate" in text
    assert "2,000.00" in text and "7,000.00" not in text  # Cal is in another team


def test_the_csv_has_each_panel_under_its_title(app):
    mia = _team()
    with app.test_request_context():
        header, rows = dashboard_export.csv_table(mia, "this_month")
    assert header[0] == "Dashboard of Mia"
    titles = [row[0] for row in rows if len(row) == 1]
    assert titles == ["Won vs target", "Win rate by Sales rep"]
    flat = [cell for row in rows for cell in row]
    assert "Amy" in flat and "Cal" not in flat
