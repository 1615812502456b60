"""The candidate models of a bookings forecast and what they predict: seasonal naive (the
baseline), Theta, ETS and SARIMAX with fixed orders, a long season taken out by Fourier
terms before fitting, and the average of the three. Pure computation with numpy and
statsmodels (app.services.forecasting backtests them and picks one)."""

from __future__ import annotations

import dataclasses

import numpy as np

Z80, Z95 = 1.2815515655446004, 1.959963984540054
NATIVE_SEASON = 24  # longer seasons (52 weeks) are taken out before fitting
HARMONICS = 4  # Fourier pairs describing a long season
BASELINE, AVERAGE = "seasonal_naive", "average"
MEMBERS = ("ets", "theta", "sarimax")  # the models the average is made of


@dataclasses.dataclass
class Prediction:
    """Point forecasts and their 80 % and 95 % prediction intervals, one value a period."""

    mean: np.ndarray
    lo80: np.ndarray
    hi80: np.ndarray
    lo95: np.ndarray
    hi95: np.ndarray

    @classmethod
    def normal(cls, mean, sd) -> Prediction:
        return cls(mean, mean - Z80 * sd, mean + Z80 * sd, mean - Z95 * sd, mean + Z95 * sd)

    @classmethod
    def frames(cls, mean, lo80, hi80, lo95, hi95) -> Prediction:
        return cls(*(np.asarray(part, dtype=float) for part in (mean, lo80, hi80, lo95, hi95)))

    def parts(self) -> tuple[np.ndarray, ...]:
        return (self.mean, self.lo80, self.hi80, self.lo95, self.hi95)

    def scaled(self, factor: float, floor: float | None) -> Prediction:
        """In the series' own units, clipped at `floor` (bookings are never negative)."""
        parts = [part * factor for part in self.parts()]
        return Prediction(*(parts if floor is None else [np.maximum(p, floor) for p in parts]))

    def is_finite(self) -> bool:
        return all(np.all(np.isfinite(part)) for part in self.parts())

    @classmethod
    def average(cls, predictions: list[Prediction]) -> Prediction:
        return cls(*(np.mean([p.parts()[i] for p in predictions], axis=0) for i in range(5)))


# -- Candidates ---------------------------------------------------------------------------


class Candidate:
    """A model: `predictions` forecasts `h` periods after each of `trains` (the series cut
    at the backtest origins, oldest first), `predict` after the whole series."""

    name = ""

    def __init__(self, season: int, seasonal: bool):
        self.season, self.seasonal = season, seasonal

    def predictions(self, trains, h) -> list[Prediction]:
        return [self.predict(train, h) for train in trains]

    def predict(self, y, h) -> Prediction:
        raise NotImplementedError


class SeasonalNaive(Candidate):
    """Each period as the same period one season earlier (the last value when there is
    no season); the spread grows with the seasons ahead (Hyndman and Athanasopoulos)."""

    name = BASELINE

    def predict(self, y, h):
        lag = self.season if self.seasonal and len(y) > self.season else 1
        steps = np.arange(h)
        residuals = y[lag:] - y[:-lag]
        sd = float(np.sqrt(np.mean(residuals**2))) if len(residuals) else 0.0
        return Prediction.normal(y[len(y) - lag + steps % lag], sd * np.sqrt(steps // lag + 1))


class Theta(Candidate):
    """The Theta method (Assimakopoulos and Nikolopoulos), on the seasonally adjusted
    series when there is a season (classical additive decomposition). Its variance, which
    statsmodels estimates with a model fit of its own, is estimated at the first backtest
    origin and kept as the origin moves on."""

    name = "theta"

    def fit(self, y):
        from statsmodels.tsa.forecasting.theta import ThetaModel

        return ThetaModel(
            y,
            period=self.season if self.seasonal else None,
            deseasonalize=self.seasonal,
            use_test=False,
            method="additive",
        ).fit()

    def predictions(self, trains, h):
        first = self.fit(trains[0])
        runs = [first] + [self.fit(train) for train in trains[1:]]
        return [self.forecast(run, h, first.sigma2) for run in runs]

    def predict(self, y, h):
        fitted = self.fit(y)
        return self.forecast(fitted, h, fitted.sigma2)

    @staticmethod
    def forecast(fitted, h, sigma2) -> Prediction:
        # The spread statsmodels' prediction_intervals gives, for a given variance.
        alpha = float(fitted.params["alpha"])
        sd = np.sqrt((1 + np.arange(h) * (1 + (alpha - 1) ** 2)) * sigma2)
        return Prediction.normal(fitted.forecast(h).to_numpy(), sd)


class StateSpace(Candidate):
    """A model estimated once at the first backtest origin and re-run with those
    parameters as the origin moves on (no forecast sees data after its origin), then
    estimated again on the whole series for the forecast."""

    start = None

    def estimate(self, y, start=None):
        raise NotImplementedError

    def rerun(self, fitted, y):
        raise NotImplementedError

    def forecast(self, fitted, n: int, h: int) -> Prediction:
        raise NotImplementedError

    def predictions(self, trains, h):
        first = self.estimate(trains[0])
        self.start = first.params
        runs = [first] + [self.rerun(first, train) for train in trains[1:]]
        return [self.forecast(run, len(train), h) for run, train in zip(runs, trains, strict=True)]

    def predict(self, y, h):
        return self.forecast(self.estimate(y, self.start), len(y), h)


class ETS(StateSpace):
    """Exponential smoothing with additive errors, a damped additive trend and an
    additive season (ETS(A,Ad,A)), or no season. The initial states come from the first
    seasons (the heuristic of Hyndman et al.), not the optimiser: a tenth of the time."""

    name = "ets"
    initial = None

    def model(self, y):
        import pandas as pd
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        # The heuristic needs ten points; every later fit must have the same parameters.
        self.initial = self.initial or ("heuristic" if len(y) >= 10 else "estimated")
        season = {"seasonal": "add", "seasonal_periods": self.season} if self.seasonal else {}
        # A pandas series: ETSModel's prediction intervals need an index.
        return ETSModel(
            pd.Series(y), error="add", trend="add", damped_trend=True,
            initialization_method=self.initial, **season,
        )  # fmt: skip

    def estimate(self, y, start=None):
        return self.model(y).fit(disp=False, start_params=start)

    def rerun(self, fitted, y):
        return self.model(y).smooth(fitted.params)

    def forecast(self, fitted, n, h):
        prediction = fitted.get_prediction(start=n, end=n + h - 1)
        narrow, wide = (prediction.summary_frame(alpha=a) for a in (0.2, 0.05))
        return Prediction.frames(
            narrow["mean"], narrow["pi_lower"], narrow["pi_upper"],
            wide["pi_lower"], wide["pi_upper"],
        )  # fmt: skip


class Sarimax(StateSpace):
    """SARIMAX with fixed orders: the airline model (0,1,1)(0,1,1) with a season,
    ARIMA(1,1,1) with drift without one."""

    name = "sarimax"

    def model(self, y):
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        # The variance concentrated out of the likelihood: one parameter less to search.
        if self.seasonal:
            return SARIMAX(
                y, order=(0, 1, 1), seasonal_order=(0, 1, 1, self.season), concentrate_scale=True
            )
        return SARIMAX(y, order=(1, 1, 1), trend="t", concentrate_scale=True)

    def estimate(self, y, start=None):
        return self.model(y).fit(disp=False, start_params=start)

    def rerun(self, fitted, y):
        return fitted.apply(y)

    def forecast(self, fitted, n, h):
        prediction = fitted.get_forecast(h)
        narrow, wide = prediction.conf_int(alpha=0.2), prediction.conf_int(alpha=0.05)
        return Prediction.frames(
            prediction.predicted_mean, narrow[:, 0], narrow[:, 1], wide[:, 0], wide[:, 1]
        )


class Deseasonalised(Candidate):
    """A non-seasonal model fitted to the series less a smooth season, the season added
    back to its forecast: for long seasons (52 weeks), which a seasonal model would have
    to learn week by week from two or three values each."""

    def __init__(self, inner, season: int):
        self.inner, self.season, self.name = inner, season, inner.name

    def predictions(self, trains, h):
        seasons = [fourier_season(train, self.season, h) for train in trains]
        adjusted = [t - season[: len(t)] for t, season in zip(trains, seasons, strict=True)]
        found = self.inner.predictions(adjusted, h)
        return [
            _shifted(p, season[len(train) :])
            for p, season, train in zip(found, seasons, trains, strict=True)
        ]

    def predict(self, y, h):
        season = fourier_season(y, self.season, h)
        return _shifted(self.inner.predict(y - season[: len(y)], h), season[len(y) :])


def _shifted(prediction: Prediction, by) -> Prediction:
    return Prediction(*(part + by for part in prediction.parts()))


def _design(length: int, season: int, harmonics: int = HARMONICS):
    t = np.arange(length)
    waves = [
        f(2 * np.pi * k * t / season) for k in range(1, harmonics + 1) for f in (np.sin, np.cos)
    ]
    return np.column_stack([np.ones(length), t, *waves])


def fourier_season(y, season: int, h: int = 0):
    """The seasonal part of `y` and of the `h` periods after it: HARMONICS pairs of
    Fourier terms fitted with a straight trend by least squares (a smooth yearly shape
    from few parameters, as for dynamic harmonic regression)."""
    coefficients = np.linalg.lstsq(_design(len(y), season), y, rcond=None)[0]
    return _design(len(y) + h, season)[:, 2:] @ coefficients[2:]


def candidates(season: int, seasonal: bool) -> list:
    """The baseline first (a model must beat it, not tie it), then the models."""
    if seasonal and season > NATIVE_SEASON:
        models = [Deseasonalised(ETS(season, False), season), Theta(season, True),
                  Deseasonalised(Sarimax(season, False), season)]  # fmt: skip
    else:
        models = [ETS(season, seasonal), Theta(season, seasonal), Sarimax(season, seasonal)]
    return [SeasonalNaive(season, seasonal), *models]


# -- Backtest, choice, forecast -----------------------------------------------------------
