"""Forecasts of one bookings series (monthly or weekly totals): the candidate models of
app.services.forecast_models compared by a rolling-origin backtest against the seasonal
naive baseline, the winner's forecast with 80 % and 95 % prediction intervals, and the
drivers behind it (the trend and the seasonal factors of an STL decomposition).

Pure computation on a list of numbers, with numpy and statsmodels: nothing of Flask or the
app (app.services.forecasts reads the series from the orders and stores the outcome).
Orders are fixed (no automatic order search) so a fit takes tens of milliseconds."""

from __future__ import annotations

import dataclasses
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from app.services.forecast_models import (
    AVERAGE,
    MEMBERS,
    NATIVE_SEASON,
    Prediction,
    candidates,
    fourier_season,
)

MIN_TRAIN = 8  # the fewest points any model is fitted on
MIN_ORIGINS = 3  # the fewest backtest origins a choice is made from


@dataclasses.dataclass(frozen=True)
class Grain:
    """How a series is checked and forecast: `season` periods make a year; the forecast
    runs `horizon` periods ahead; the backtest forecasts `test_horizon` periods ahead from
    up to `origins` origins `step` periods apart, the last one `test_horizon` from the end."""

    season: int
    horizon: int
    test_horizon: int
    origins: int
    step: int

    @property
    def minimum(self) -> int:
        """The fewest points worth a fit: MIN_TRAIN before the first of MIN_ORIGINS."""
        return MIN_TRAIN + self.test_horizon + (MIN_ORIGINS - 1) * self.step

    @property
    def seasonal_minimum(self) -> int:
        """The fewest points to learn the season from: two seasons before the first origin."""
        return 2 * self.season + self.test_horizon + (MIN_ORIGINS - 1) * self.step


MONTHLY = Grain(season=12, horizon=12, test_horizon=3, origins=8, step=1)
# 28 weeks reach the end of next quarter from any day (184 days + 6 back to Monday).
WEEKLY = Grain(season=52, horizon=28, test_horizon=13, origins=6, step=4)


@dataclasses.dataclass
class Outcome:
    """What fitting one series gave: `status` "ok", or "short" when the series has fewer
    than `needed` points (or no bookings at all), and then nothing else is filled in."""

    status: str
    points: int
    needed: int
    seasonal: bool = False
    model: str = ""
    # One dict a period ahead: mean, lo80, hi80, lo95, hi95.
    forecast: list[dict] = dataclasses.field(default_factory=list)
    # origins, horizon, and per model: mae, mape, mase, coverage80, coverage95, points.
    backtest: dict = dataclasses.field(default_factory=dict)
    # level, trend (a period), trend_strength, seasonal (one a forecast period),
    # season_strength.
    drivers: dict = dataclasses.field(default_factory=dict)
    seconds: float = 0.0

    @property
    def message(self) -> str:
        if self.status == "ok":
            return ""
        if self.points >= self.needed:
            return "No bookings in this series yet."
        return f"{self.points} periods of history; a forecast needs at least {self.needed}."


def _scale(train, lag: int) -> float:
    """The in-sample mean absolute error of the (seasonal) naive forecast: MASE's unit."""
    lag = lag if len(train) > lag else 1
    return float(np.mean(np.abs(train[lag:] - train[:-lag]))) if len(train) > lag else 0.0


def score(y, origins: list[int], h: int, predictions: list[Prediction], lag: int) -> dict:
    """Backtest errors over every (origin, step): MAE; MAPE leaving out zero actuals;
    MASE, each error scaled by its origin's in-sample seasonal naive error; and the share
    of actuals inside the 80 % and 95 % intervals."""
    errors, scaled, relative, in80, in95 = [], [], [], 0, 0
    for origin, prediction in zip(origins, predictions, strict=True):
        actual = y[origin : origin + h]
        error = np.abs(actual - prediction.mean)
        errors.extend(error)
        unit = _scale(y[:origin], lag)
        if unit > 0:
            scaled.extend(error / unit)
        relative.extend(error[actual != 0] / np.abs(actual[actual != 0]))
        in80 += int(
            np.sum(
                (actual >= prediction.lo80[: len(actual)])
                & (actual <= prediction.hi80[: len(actual)])
            )
        )  # noqa: E501
        in95 += int(
            np.sum(
                (actual >= prediction.lo95[: len(actual)])
                & (actual <= prediction.hi95[: len(actual)])
            )
        )  # noqa: E501

    def mean(values, factor=1.0):
        return float(np.mean(values)) * factor if len(values) else None

    return {
        "mae": mean(errors),
        "mape": mean(relative, 100.0),
        "mase": mean(scaled),
        "coverage80": in80 / len(errors) if errors else None,
        "coverage95": in95 / len(errors) if errors else None,
        "points": len(errors),
    }


def _origins(n: int, grain: Grain, seasonal: bool) -> list[int]:
    train = 2 * grain.season if seasonal else MIN_TRAIN
    count = min(grain.origins, (n - train - grain.test_horizon) // grain.step + 1)
    last = n - grain.test_horizon
    return [last - grain.step * (count - 1 - i) for i in range(count)]


def _quietly(call, *args):
    """`call(*args)`, or None when the model cannot be fitted to these numbers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return call(*args)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError, IndexError):
            return None


def drivers(y, grain: Grain, seasonal: bool) -> dict:
    """What moves the series: its current level, its trend a period, the seasonal effect
    of each forecast period, and the strength of trend and season (Wang, Smith and
    Hyndman: 0 none, 1 all of the variation). From an STL decomposition for a monthly
    season, a straight trend with Fourier terms for a weekly one, a straight line when
    there is no season."""
    n, m, h = len(y), grain.season, grain.horizon
    if seasonal and m <= NATIVE_SEASON:
        from statsmodels.tsa.seasonal import STL

        parts = STL(y, period=m, robust=True).fit()
        trend, season = np.asarray(parts.trend), np.asarray(parts.seasonal)
        ahead = season[n - m + np.arange(h) % m]
    else:
        season = fourier_season(y, m, h) if seasonal else np.zeros(n + h)
        slope, intercept = np.polyfit(np.arange(n), y - season[:n], 1)
        trend, ahead, season = intercept + slope * np.arange(n), season[n:], season[:n]
    rest = y - trend - season
    back = min(m, n - 1)

    def strength(component):
        spread = np.var(component + rest)
        return float(max(0.0, 1 - np.var(rest) / spread)) if spread > 0 else 0.0

    return {
        "level": float(trend[-1]),
        "trend": float((trend[-1] - trend[-1 - back]) / back),
        "trend_strength": strength(trend),
        "seasonal": [float(value) for value in ahead] if seasonal else [],
        "season_strength": strength(season) if seasonal else None,
    }


def fit_series(values, grain: Grain = MONTHLY, nonnegative: bool = True) -> Outcome:
    """Backtest every candidate on `values` (oldest first, evenly spaced, no gaps), keep
    the one with the lowest MASE (the baseline unless a model beats it), and forecast
    `grain.horizon` periods with it. Intervals are clipped at 0 for `nonnegative` series."""
    _load_statsmodels()
    # The models' matrices are tiny: BLAS threads only wait on each other, and on a busy
    # machine they made every fit ten times slower (measured).
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit(values, grain, nonnegative)


def _load_statsmodels() -> None:
    """statsmodels' imports: about two seconds, once a process, before any fit's clock
    starts (and not in web processes, which never fit)."""
    import statsmodels.tsa.exponential_smoothing.ets  # noqa: F401
    import statsmodels.tsa.forecasting.theta  # noqa: F401
    import statsmodels.tsa.seasonal  # noqa: F401
    import statsmodels.tsa.statespace.sarimax  # noqa: F401


def _fit(values, grain: Grain, nonnegative: bool) -> Outcome:
    began = time.perf_counter()
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n < grain.minimum or not np.any(y):
        return Outcome("short", n, grain.minimum)
    seasonal = n >= grain.seasonal_minimum
    # Fitted in units of the series' mean size: optimisers behave alike at any amount.
    unit = float(np.mean(np.abs(y))) or 1.0
    z = y / unit
    floor = 0.0 if nonnegative and np.all(y >= 0) else None
    origins = _origins(n, grain, seasonal)
    trains = [z[:origin] for origin in origins]
    lag = grain.season if seasonal else 1
    found, models = {}, {}
    for candidate in candidates(grain.season, seasonal):
        predictions = _quietly(candidate.predictions, trains, grain.test_horizon)
        if predictions and all(p.is_finite() for p in predictions):
            found[candidate.name] = [p.scaled(unit, floor) for p in predictions]
            models[candidate.name] = candidate
    members = [name for name in MEMBERS if name in found]
    if len(members) >= 2:
        rows = zip(*(found[member] for member in members), strict=True)
        found[AVERAGE] = [Prediction.average(list(row)) for row in rows]
    scores = {name: score(y, origins, grain.test_horizon, ps, lag) for name, ps in found.items()}
    order = list(found)

    def rank(name):
        mase = scores[name]["mase"]
        return (mase if mase is not None else float("inf"), scores[name]["mae"], order.index(name))

    forecast = None
    for name in sorted(found, key=rank):
        forecast = _final(name, models, members, z, grain.horizon)
        if forecast is not None:
            break
    forecast = forecast.scaled(unit, floor)
    keys = ("mean", "lo80", "hi80", "lo95", "hi95")
    return Outcome(
        "ok",
        n,
        grain.minimum,
        seasonal=seasonal,
        model=name,
        forecast=[
            dict(zip(keys, map(float, row), strict=True))
            for row in zip(*forecast.parts(), strict=True)
        ],
        backtest={"origins": len(origins), "horizon": grain.test_horizon, "models": scores},
        drivers=drivers(y, grain, seasonal),
        seconds=time.perf_counter() - began,
    )


def _final(name, models, members, z, h) -> Prediction | None:
    if name == AVERAGE:
        parts = [_quietly(models[member].predict, z, h) for member in members]
        parts = [p for p in parts if p is not None and p.is_finite()]
        return Prediction.average(parts) if len(parts) == len(members) else None
    prediction = _quietly(models[name].predict, z, h)
    return prediction if prediction is not None and prediction.is_finite() else None
