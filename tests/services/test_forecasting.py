"""The forecasting computation on synthetic series whose trend, season and noise are known:
the chosen model beats seasonal naive in the backtest, the 80 % interval covers about 80 %
of held-out points over many series, the drivers recover the planted trend and season,
the backtest errors match a hand computation, and a series too short to fit says so."""

from __future__ import annotations

import numpy as np
import pytest

from app.services import forecasting
from app.services.forecast_models import BASELINE, Prediction
from app.services.forecasting import MONTHLY, WEEKLY


def synthetic(rng, n, season=12, level=1000.0, slope=10.0, amplitude=200.0, noise=50.0, peak=3):
    """Level + slope a period + a sine season peaking at period `peak` of each season +
    normal noise."""
    t = np.arange(n)
    wave = amplitude * np.cos(2 * np.pi * (t - peak) / season)
    return level + slope * t + wave + rng.normal(0, noise, n)


def test_with_a_known_trend_and_season_the_chosen_model_beats_seasonal_naive():
    y = synthetic(np.random.default_rng(7), 48)
    outcome = forecasting.fit_series(y, MONTHLY)

    assert outcome.status == "ok" and outcome.seasonal
    scores = outcome.backtest["models"]
    assert set(scores) == {BASELINE, "ets", "theta", "sarimax", "average"}
    assert outcome.model != BASELINE
    assert scores[outcome.model]["mase"] < scores[BASELINE]["mase"]
    assert scores[outcome.model]["mase"] == min(s["mase"] for s in scores.values())
    # 8 origins x 3 months ahead.
    assert outcome.backtest["origins"] == 8 and scores[BASELINE]["points"] == 24
    assert len(outcome.forecast) == 12
    # The truth a year ahead lies inside the 95 % interval nearly every month.
    truth = synthetic(np.random.default_rng(7), 60, noise=0.0)[48:]
    inside = [r["lo95"] <= v <= r["hi95"] for r, v in zip(outcome.forecast, truth, strict=True)]
    assert sum(inside) >= 11


def test_the_drivers_recover_the_planted_trend_and_season():
    y = synthetic(np.random.default_rng(11), 48, slope=10.0, amplitude=200.0, peak=3)
    drivers = forecasting.fit_series(y, MONTHLY).drivers

    assert 6 < drivers["trend"] < 14  # planted: +10 a month
    assert drivers["season_strength"] > 0.8 and drivers["trend_strength"] > 0.8
    # The forecast starts at period 48, position 0 of the season: the planted effect of
    # the forecast months is 200 cos(2 pi (i - 3) / 12), the peak the 4th month.
    planted = 200 * np.cos(2 * np.pi * (np.arange(12) - 3) / 12)
    seasonal = np.array(drivers["seasonal"])
    assert np.corrcoef(seasonal, planted)[0, 1] > 0.95
    assert np.mean(np.abs(seasonal - planted)) < 50  # noise sd 50, four years
    assert int(np.argmax(seasonal)) in (2, 3, 4) and int(np.argmin(seasonal)) in (8, 9, 10)


def test_the_80_percent_interval_covers_about_80_percent_of_held_out_points():
    rng = np.random.default_rng(2026)
    inside80 = inside95 = total = 0
    for _ in range(40):
        y = synthetic(
            rng,
            42,
            level=rng.uniform(500, 5000),
            slope=rng.uniform(-5, 20),
            amplitude=rng.uniform(0, 400),
            noise=rng.uniform(30, 120),
            peak=int(rng.integers(12)),
        )
        outcome = forecasting.fit_series(y[:36], MONTHLY)
        for row, actual in zip(outcome.forecast[:6], y[36:], strict=True):
            inside80 += row["lo80"] <= actual <= row["hi80"]
            inside95 += row["lo95"] <= actual <= row["hi95"]
            total += 1
    assert total == 240
    assert 0.70 <= inside80 / total <= 0.90
    assert inside95 / total >= 0.88


def test_a_weekly_series_learns_its_yearly_season_from_three_years():
    y = synthetic(np.random.default_rng(5), 156, season=52, level=5000, slope=5,
                  amplitude=800, noise=300, peak=20)  # fmt: skip
    outcome = forecasting.fit_series(y, WEEKLY)

    assert outcome.status == "ok" and outcome.seasonal
    scores = outcome.backtest["models"]
    assert scores[outcome.model]["mase"] < scores[BASELINE]["mase"]
    assert len(outcome.forecast) == 28 and len(outcome.drivers["seasonal"]) == 28
    # Period 156 is position 0 of the season: the peak (position 20) is forecast 21st.
    planted = 800 * np.cos(2 * np.pi * (np.arange(28) - 20) / 52)
    seasonal = np.array(outcome.drivers["seasonal"])
    assert np.corrcoef(seasonal, planted)[0, 1] > 0.95
    assert abs(int(np.argmax(seasonal)) - 20) <= 2


def test_under_two_years_the_season_is_not_learnt_but_the_trend_is_forecast():
    y = synthetic(np.random.default_rng(3), 20, amplitude=0.0, slope=30.0, noise=20.0)
    outcome = forecasting.fit_series(y, MONTHLY)

    assert outcome.status == "ok" and not outcome.seasonal
    assert outcome.drivers["seasonal"] == [] and outcome.drivers["season_strength"] is None
    assert 20 < outcome.drivers["trend"] < 40
    # The naive baseline repeats the last value; the chosen model follows the trend up.
    assert outcome.forecast[5]["mean"] > y[-1] + 100


def test_a_series_too_short_to_fit_gets_a_status_and_a_message():
    short = forecasting.fit_series([100.0] * 12, MONTHLY)
    assert (short.status, short.points, short.needed) == ("short", 12, 13)
    assert short.message == "12 periods of history; a forecast needs at least 13."
    assert short.forecast == [] and short.model == ""

    nothing = forecasting.fit_series([0.0] * 30, MONTHLY)
    assert nothing.status == "short" and nothing.message == "No bookings in this series yet."

    assert forecasting.fit_series([1.0] * 13, MONTHLY).status == "ok"
    assert WEEKLY.minimum == 29 and MONTHLY.seasonal_minimum == 29


def test_intervals_nest_around_the_forecast_and_never_go_below_zero():
    rng = np.random.default_rng(9)
    y = np.maximum(0, rng.normal(100, 120, 40))  # many months with no bookings
    outcome = forecasting.fit_series(y, MONTHLY)
    for row in outcome.forecast:
        assert 0 <= row["lo95"] <= row["lo80"] <= row["mean"] <= row["hi80"] <= row["hi95"]
    assert any(row["lo95"] == 0 for row in outcome.forecast)


def test_backtest_errors_by_hand():
    y = np.array([10.0, 12.0, 14.0, 16.0, 18.0, 20.0])
    mean = np.array([17.0, 17.0])
    prediction = Prediction(mean, np.array([16.0, 16.0]), np.array([18.0, 18.0]),
                            np.array([15.0, 15.0]), np.array([21.0, 21.0]))  # fmt: skip
    scores = forecasting.score(y, [4], 2, [prediction], lag=1)

    # Errors 1 and 3 against actuals 18 and 20; the naive in-sample error on 10..16 is 2.
    assert scores["mae"] == pytest.approx(2.0)
    assert scores["mape"] == pytest.approx((1 / 18 + 3 / 20) / 2 * 100)
    assert scores["mase"] == pytest.approx(1.0)
    assert scores["coverage80"] == 0.5 and scores["coverage95"] == 1.0
    assert scores["points"] == 2


def test_mape_leaves_out_zero_actuals():
    y = np.array([5.0, 0.0, 5.0, 0.0, 10.0, 0.0])
    flat = Prediction.normal(np.array([5.0, 5.0]), np.array([1.0, 1.0]))
    scores = forecasting.score(y, [4], 2, [flat], lag=1)
    assert scores["mape"] == pytest.approx(50.0)  # only the actual 10, missed by 5
    assert scores["mae"] == pytest.approx(5.0)
