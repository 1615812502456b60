"""The sales forecast report: the stored statsmodels forecast of one bookings series (the
whole company, a team or a product line; by month or by week) with its intervals, how
well it did in its backtest, the drivers behind it, and next quarter's forecast beside
the weighted pipeline and the two combined. It reads what app.services.forecasts stored;
the fitting runs in a job (app.jobs.forecasts)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from flask_babel import format_currency, format_date, format_datetime, gettext, ngettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.models.analytics import ForecastGrain
from app.services import forecast_models, forecasts
from app.services.reports.registry import Report, register
from app.services.reports.results import Chart, Column, Figure, Result

MODEL_LABELS = {
    forecast_models.BASELINE: _l("Seasonal naive"),
    "ets": _l("Exponential smoothing (ETS)"),
    "theta": _l("Theta method"),
    "sarimax": _l("SARIMAX"),
    forecast_models.AVERAGE: _l("Average of ETS, Theta and SARIMAX"),
}
GRAIN_WORDS = {ForecastGrain.MONTH: _l("by month"), ForecastGrain.WEEK: _l("by week")}
DEFAULT = "month:company"


def _series_label(key: str, label: str) -> str:
    return str(_l("Whole company")) if key == forecasts.COMPANY else label


class SeriesChoices(Mapping):
    """The series the report offers ("month:company", "week:team:3", "month:line:Hardware"
    -> label), read from the stored forecasts each time it is asked, the company by month
    first (the default) even before any forecast is stored."""

    def _choices(self) -> dict[str, str]:
        def name(key, grain, label):
            return gettext(
                "%(series)s · %(grain)s", series=_series_label(key, label), grain=GRAIN_WORDS[grain]
            )

        choices = {DEFAULT: name(forecasts.COMPANY, ForecastGrain.MONTH, "")}
        for key, grain, label in forecasts.stored_series():
            choices[f"{grain.value.lower()}:{key}"] = name(key, grain, label)
        return choices

    def __getitem__(self, key):
        return self._choices()[key]

    def __iter__(self):
        return iter(self._choices())

    def __len__(self):
        return len(self._choices())


def _readable_fallback(actor) -> str | None:
    """The series `actor` may read when not the one asked for: their team's."""
    if permissions.scope_for(actor, "order", "read") is permissions.Scope.ALL:
        return forecasts.COMPANY
    key = forecasts.team_key(actor.team_id) if actor.team_id else None
    return key if key and forecasts.may_read(actor, key) else None


def _money(value, currency: str) -> str:
    return format_currency(Decimal(value), currency)


def _columns(grain: ForecastGrain) -> list[Column]:
    period = (
        Column("period", str(_l("Month")), "month")
        if grain is ForecastGrain.MONTH
        else Column("period", str(_l("Week of")), "date")
    )
    return [
        period,
        Column("actual", str(_l("Bookings")), "money"),
        Column("forecast", str(_l("Forecast")), "money"),
        Column("lo80", str(_l("Low (80 % band)")), "money"),
        Column("hi80", str(_l("High (80 % band)")), "money"),
        Column("lo95", str(_l("Low (95 % band)")), "money"),
        Column("hi95", str(_l("High (95 % band)")), "money"),
    ]


def _rows(run, filters) -> list[dict]:
    """The history of the period chosen, then the whole forecast: every row has every
    column (None where there is no value), as the chart reads them all."""
    bounds = ("lo80", "hi80", "lo95", "hi95")
    rows = [
        {"period": date.fromisoformat(point["period"]), "actual": Decimal(point["value"]),
         "forecast": None} | dict.fromkeys(bounds)
        for point in run.history
        if filters.start.isoformat() <= point["period"] < filters.end.isoformat()
    ]  # fmt: skip
    for point in run.forecast:
        rows.append(
            {"period": date.fromisoformat(point["period"]), "actual": None,
             "forecast": Decimal(point["mean"])}
            | {name: Decimal(point[name]) for name in bounds}
        )  # fmt: skip
    return rows


def _quarter_label(start: str) -> str:
    day = date.fromisoformat(start)
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def _pipeline_figures(quarter: dict, currency: str) -> list[Figure]:
    name = _quarter_label(quarter["start"])
    deals = ngettext(
        "%(num)d open deal expected to close in %(quarter)s",
        "%(num)d open deals expected to close in %(quarter)s",
        quarter["deals"],
        quarter=name,
    )
    weight = Decimal(quarter["weight"])
    mix = gettext(
        "%(forecast)s %% forecast, %(pipeline)s %% pipeline",
        forecast=int(weight * 100),
        pipeline=100 - int(weight * 100),
    )
    return [
        Figure(str(_l("Weighted pipeline")), Decimal(quarter["pipeline"]), "money", deals),
        Figure(str(_l("Next quarter combined")), Decimal(quarter["combined"]), "money", mix),
    ]


def _driver_notes(run, currency: str) -> list[str]:
    drivers, quarter = run.drivers, run.drivers["quarter"]
    per = gettext("a month") if run.grain is ForecastGrain.MONTH else gettext("a week")
    trend = Decimal(str(drivers["trend"])).quantize(Decimal("0.01"))
    notes = [
        gettext(
            "Trend: bookings move by about %(amount)s %(per)s (trend strength %(strength)s of 1).",
            amount=("+" if trend > 0 else "") + _money(trend, currency),
            per=per,
            strength=f"{drivers['trend_strength']:.2f}",
        )
    ]
    periods = [date.fromisoformat(point["period"]) for point in run.forecast]
    effects = [
        (start, Decimal(str(effect)).quantize(Decimal("0.01")))
        for start, effect in zip(periods, drivers.get("seasonal") or [], strict=False)
        if quarter["start"] <= start.isoformat() < quarter["end"]
    ]
    if effects and run.grain is ForecastGrain.MONTH:
        months = ", ".join(
            f"{format_date(start, 'MMM')} {'+' if effect > 0 else ''}{_money(effect, currency)}"
            for start, effect in effects
        )
        notes.append(
            gettext(
                "Seasonality (strength %(strength)s of 1), next quarter against the trend: "
                "%(months)s.",
                strength=f"{drivers['season_strength']:.2f}",
                months=months,
            )
        )
    elif effects:
        mean = sum(effect for _start, effect in effects) / len(effects)
        notes.append(
            gettext(
                "Seasonality (strength %(strength)s of 1): next quarter's weeks are on "
                "average %(amount)s against the trend.",
                strength=f"{drivers['season_strength']:.2f}",
                amount=("+" if mean > 0 else "") + _money(mean, currency),
            )
        )
    elif not run.backtest.get("seasonal"):
        notes.append(gettext("Seasonality: not learnt, the history is shorter than two years."))
    notes.append(
        gettext(
            "Pipeline: %(amount)s expected from open deals closing in %(quarter)s "
            "(amount × probability).",
            amount=_money(quarter["pipeline"], currency),
            quarter=_quarter_label(quarter["start"]),
        )
    )
    return notes


def _fit_figures(run) -> list[Figure]:
    scores = run.backtest["models"]
    chosen, baseline = scores[run.model], scores[forecast_models.BASELINE]

    def decimal(value, places="0.01"):
        return None if value is None else Decimal(str(value)).quantize(Decimal(places))

    if run.grain is ForecastGrain.MONTH:
        ahead = ngettext(
            "average miss, %(num)d month ahead",
            "average miss, 1 to %(num)d months ahead",
            run.backtest["horizon"],
        )
    else:
        ahead = ngettext(
            "average miss, %(num)d week ahead",
            "average miss, 1 to %(num)d weeks ahead",
            run.backtest["horizon"],
        )
    return [
        Figure(
            str(_l("Model chosen")),
            str(MODEL_LABELS.get(run.model, run.model)),
            "text",
            gettext("lowest backtest MASE of %(count)d tried", count=len(scores)),
        ),
        Figure(str(_l("Backtest MAPE")), decimal(chosen["mape"], "0.1"), "percent", ahead),
        Figure(
            str(_l("Backtest MASE")),
            decimal(chosen["mase"]),
            "number",
            gettext("below 1 beats seasonal naive in-sample"),
        ),
        Figure(str(_l("Seasonal naive MASE")), decimal(baseline["mase"]), "number"),
        Figure(
            str(_l("Share inside the 80 % band")),
            decimal(None if chosen["coverage80"] is None else chosen["coverage80"] * 100, "0.1"),
            "percent",
            gettext("of backtest actuals inside the interval"),
        ),
    ]


def sales_forecast(filters, actor) -> Result:
    grain_text, _, key = (filters.group or DEFAULT).partition(":")
    grain = ForecastGrain.WEEK if grain_text == "week" else ForecastGrain.MONTH
    currency = forecasts.currency()
    empty = Result(columns=_columns(grain), rows=[], currency=currency)
    if not forecasts.may_read(actor, key):
        key = _readable_fallback(actor)
        if key is None:
            empty.notes = [
                gettext(
                    "Forecasts are totals of the whole company, a team or a product line, "
                    "and you may read none of them: ask a manager."
                )
            ]
            return empty
        empty.notes.append(
            gettext("This is the forecast of a series you may read: the one asked for is not.")
        )
    run = forecasts.stored(key, grain)
    if run is None:
        empty.notes.append(
            gettext(
                "No forecast has been fitted for this series yet. They are fitted every night; "
                "a manager can also refresh them now."
            )
        )
        return empty
    result = Result(
        columns=_columns(grain),
        rows=_rows(run, filters),
        chart=Chart("line", "period", ("actual", "forecast"), band=("lo80", "hi80")),
        notes=list(empty.notes),
        currency=currency,
    )
    quarter = run.drivers["quarter"]
    if run.status == "ok":
        result.figures = [
            *_fit_figures(run),
            Figure(
                str(_l("Next quarter forecast")),
                Decimal(quarter["forecast"]),
                "money",
                _quarter_label(quarter["start"]),
            ),
            *_pipeline_figures(quarter, currency),
        ]
        result.notes += _driver_notes(run, currency)
    else:
        result.figures = _pipeline_figures(quarter, currency)
        result.notes.append(_short_message(run))
    result.notes.append(
        gettext(
            "Fitted %(when)s on %(count)d periods of history in %(seconds)s s.",
            when=format_datetime(run.generated_at, "short"),
            count=len(run.history),
            seconds=f"{run.seconds:.1f}",
        )
    )
    return result


def _short_message(run) -> str:
    points, needed = run.backtest.get("points", 0), run.backtest.get("needed", 0)
    if points >= needed:
        return gettext(
            "No bookings in this series yet, so there is nothing to forecast from: next "
            "quarter shows the weighted pipeline alone."
        )
    if run.grain is ForecastGrain.MONTH:
        return ngettext(
            "Only %(num)d month of bookings: a forecast needs at least %(needed)d. Next "
            "quarter shows the weighted pipeline alone.",
            "Only %(num)d months of bookings: a forecast needs at least %(needed)d. Next "
            "quarter shows the weighted pipeline alone.",
            points,
            needed=needed,
        )
    return ngettext(
        "Only %(num)d week of bookings: a forecast needs at least %(needed)d. Next quarter "
        "shows the weighted pipeline alone.",
        "Only %(num)d weeks of bookings: a forecast needs at least %(needed)d. Next quarter "
        "shows the weighted pipeline alone.",
        points,
        needed=needed,
    )


register(
    Report(
        key="sales-forecast",
        family="sales",
        title=_l("Sales forecast"),
        definition=_l(
            "Bookings (orders but cancelled ones, net of discounts, before tax, in the "
            "default currency, on their order date) of the whole company, a team (its "
            "members' orders) or a product line, by month or by week, and their forecast "
            "with 80 % and 95 % prediction intervals. Seasonal naive, exponential smoothing (ETS), "
            "the Theta method, SARIMAX and the average of the last three are tested on the "
            "last periods of history, each forecasting from earlier origins; the one with "
            "the lowest MASE (its error divided by that of the same period a year earlier) "
            "is chosen. MAPE is the average error in percent of the actual. Next quarter "
            "combined is the forecast's next quarter and the weighted pipeline (open deals "
            "expected to close then, amount × probability) averaged, the forecast weighted "
            "1 / (1 + MASE). The period chooses the history shown. The whole company's and "
            "product lines' forecasts need the right to read every order."
        ),
        entity="opportunity",
        compute=sales_forecast,
        filters=("period",),
        groups=SeriesChoices(),
        toolbar="reports/_forecast_refresh.html",
        also_reads=("order",),
        keep=False,
    )
)
