"""The report charts are SVG drawn on the server from a Result's rows: accessible (a title
that names them), values as the reader's locale writes them, and honest about gaps (a
month without a value breaks the line instead of bridging it)."""

from datetime import date
from decimal import Decimal

from app.services.reports.results import Chart, Column, Result


def _render(app, result: Result, title: str = "Chart") -> str:
    with app.test_request_context():
        template = app.jinja_env.from_string(
            '{% from "_macros/charts.html" import report_chart %}'
            "{{ report_chart('c', title, result) }}"
        )
        return template.render(title=title, result=result)


def test_a_line_breaks_where_a_value_is_missing(app):
    months = [date(2026, m, 1) for m in range(1, 6)]
    values = [Decimal("10"), None, Decimal("30"), Decimal("40"), Decimal("20")]
    result = Result(
        columns=[Column("month", "Month", "month"), Column("cac", "CAC", "money")],
        rows=[{"month": m, "cac": v} for m, v in zip(months, values, strict=True)],
        chart=Chart("line", "month", ("cac",)),
        currency="USD",
    )
    svg = _render(app, result, "Acquisition cost")
    assert '<title id="c-title">Acquisition cost</title>' in svg and 'role="img"' in svg
    assert svg.count("<polyline") == 1  # March to May
    assert svg.count("<circle") == 1  # January stands alone
    assert "Jan 2026" in svg


def test_horizontal_bars_label_each_row_with_its_formatted_value(app):
    result = Result(
        columns=[Column("stage", "Stage"), Column("amount", "Amount", "money")],
        rows=[{"stage": "Proposal", "amount": Decimal("1234.5")}, {"stage": "Won", "amount": None}],
        chart=Chart("hbar", "stage", ("amount",)),
        currency="USD",
    )
    svg = _render(app, result, "Funnel")
    assert "<title>Proposal: $1,234.50</title>" in svg
    assert svg.count("<rect") == 2 and "Funnel — Amount" in svg


def test_axis_values_are_round_numbers():
    from app.templating import nice_ticks

    assert nice_ticks(0, 5024.78) == [0, 2000, 4000, 6000]
    assert nice_ticks(0, 25) == [0, 10, 20, 30]
    assert nice_ticks(-3, 10) == [-5, 0, 5, 10]
    assert nice_ticks(0, 0.4) == [0, 0.1, 0.2, 0.3, 0.4]
    assert nice_ticks(0, 0) == [0, 0.25, 0.5, 0.75, 1]
