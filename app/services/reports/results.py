"""What a report computes, in the one shape every output reads: headline figures, a table
(columns and rows), the chart drawn from that table, and notes (what was left out and
why). The page, the PDF, the CSV, the dashboard panels and the JSON API all show a Result,
so a figure is computed once and reads the same everywhere."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# How a column's values are shown: text; count (a whole number); number (a decimal);
# money (in the result's currency); percent (0-100, one decimal); days and hours
# (durations, one decimal); month (a date standing for its month); date.
KINDS = ("text", "count", "number", "money", "percent", "days", "hours", "month", "date")


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"


@dataclasses.dataclass(frozen=True)
class Figure:
    """A headline number above the table ("Win rate 42.0 %")."""

    label: str
    value: Any
    kind: str = "count"
    hint: str = ""


@dataclasses.dataclass(frozen=True)
class Chart:
    """How to draw the table: `kind` is "bar" (columns), "hbar" (horizontal bars, for
    long labels such as stages or names) or "line" (a series over time); the column
    `label_key` names each bar or point and `value_keys` are the columns drawn. A line
    chart may shade the interval between the columns of `band` (a forecast's 80 %)."""

    kind: str
    label_key: str
    value_keys: tuple[str, ...]
    band: tuple[str, str] | None = None


@dataclasses.dataclass
class Result:
    columns: list[Column]
    rows: list[dict]
    figures: list[Figure] = dataclasses.field(default_factory=list)
    chart: Chart | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    currency: str = ""
    totals: dict | None = None

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)

    def table(self) -> tuple[list[str], list[list]]:
        """The header and rows of a CSV: labels (money columns say their currency), plain
        values (exact decimals, ISO dates, empty for none), the totals row last."""
        header = [
            f"{column.label} ({self.currency})" if column.kind == "money" else column.label
            for column in self.columns
        ]
        rows = self.rows + ([self.totals] if self.totals else [])
        return header, [
            ["" if row.get(c.key) is None else _plain(row.get(c.key)) for c in self.columns]
            for row in rows
        ]

    def as_json(self) -> dict:
        """Plain JSON: money and other decimals as strings (exact), dates as ISO text."""
        return {
            "currency": self.currency,
            "columns": [dataclasses.asdict(column) for column in self.columns],
            "rows": [{key: _plain(value) for key, value in row.items()} for row in self.rows],
            "totals": (
                None
                if self.totals is None
                else {key: _plain(value) for key, value in self.totals.items()}
            ),
            "figures": [
                {**dataclasses.asdict(figure), "value": _plain(figure.value)}
                for figure in self.figures
            ],
            "chart": None if self.chart is None else dataclasses.asdict(self.chart),
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: dict) -> Result:
        columns = [Column(**column) for column in data["columns"]]
        kinds = {column.key: column.kind for column in columns}

        def typed(row):
            return {key: _typed(value, kinds.get(key, "text")) for key, value in row.items()}

        chart = data.get("chart")
        return cls(
            columns=columns,
            rows=[typed(row) for row in data["rows"]],
            figures=[
                Figure(**{**figure, "value": _typed(figure["value"], figure["kind"])})
                for figure in data.get("figures", [])
            ],
            chart=(
                None
                if chart is None
                else Chart(
                    chart["kind"],
                    chart["label_key"],
                    tuple(chart["value_keys"]),
                    tuple(chart["band"]) if chart.get("band") else None,
                )
            ),
            notes=list(data.get("notes", [])),
            currency=data.get("currency", ""),
            totals=None if data.get("totals") is None else typed(data["totals"]),
        )


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _typed(value, kind: str):
    if value is None:
        return None
    if kind in ("money", "number", "percent", "days", "hours"):
        return Decimal(str(value))
    if kind in ("month", "date"):
        return date.fromisoformat(str(value)[:10])
    return value
