"""Forecast refresh for all series: the total seconds and the milliseconds per series.

    .venv/bin/python -m bench.forecast
    .venv/bin/python -m bench.forecast --read-only postgresql+psycopg://.../rapport_large

Without arguments a small demo database is seeded in a temporary SQLite file (or
BENCH_DATABASE_URL, whose schema is dropped and seeded: never point it at a database you
keep) and forecasts.refresh_all runs on it, storing the runs as the nightly job does.

With --read-only the database is only read (the session is read-only on PostgreSQL): the
bookings series and the pipeline are read as refresh_all reads them and each series is
fitted, timed, and nothing is stored. That is how the large seed is measured; the target
is a refresh of every series under 30 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time


def _read_only_app(url: str, workdir: str):
    from app import create_app

    os.environ["RAPPORT_INSTANCE_PATH"] = os.path.join(workdir, "instance")
    return create_app({"SQLALCHEMY_DATABASE_URI": url}, env="testing")


def _fit_everything(today) -> list[tuple[str, str, int, str, float]]:
    """Read every series as refresh_all does and fit it; (key, grain, points, model, s)."""
    from app.services import forecasting, forecasts

    timings, days = [], forecasts.daily_bookings(*forecasts.history_bounds(today))
    for grain, fitted_grain in forecasts.GRAINS.items():
        for key, periods in forecasts.bookings(today, grain, days).items():
            started = time.perf_counter()
            outcome = forecasting.fit_series([float(v) for _, v in periods], fitted_grain)
            seconds = time.perf_counter() - started
            timings.append((key, grain.value, len(periods), outcome.model or "short", seconds))
    return timings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--read-only", metavar="URL", help="time the fits on this database")
    args = parser.parse_args(argv)
    import sqlalchemy as sa

    with tempfile.TemporaryDirectory() as workdir:
        if args.read_only:
            app = _read_only_app(args.read_only, workdir)
        else:
            from bench.__main__ import _build_app

            app = _build_app("small", workdir, reuse=False)
        with app.app_context():
            from app.extensions import db
            from app.services import forecasting, forecasts, targets

            if db.engine.dialect.name == "postgresql" and args.read_only:
                db.session.execute(sa.text("SET TRANSACTION READ ONLY"))
            today = targets.today()
            forecasting.fit_series([1.0] * 30)  # statsmodels' imports, paid once a worker
            started = time.perf_counter()
            forecasts.weighted_pipeline(forecasts.next_quarter(today))
            forecasts.daily_bookings(*forecasts.history_bounds(today))
            reading = time.perf_counter() - started
            if args.read_only:
                started = time.perf_counter()
                timings = _fit_everything(today)
                total = time.perf_counter() - started + reading
                db.session.rollback()
                print(f"{'series':<24} {'grain':<6} {'points':>6} {'model':<15} {'ms':>7}")
                for key, grain, points, model, seconds in timings:
                    print(
                        f"{key[:24]:<24} {grain:<6} {points:>6} {model:<15} {seconds * 1000:>7.0f}"
                    )
                count = len(timings)
            else:
                started = time.perf_counter()
                count = forecasts.refresh_all(today)
                db.session.commit()
                total = time.perf_counter() - started
            print(
                f"{count} series in {total:.1f} s ({total * 1000 / max(count, 1):.0f} ms a series; "
                f"reading the series and the pipeline {reading * 1000:.0f} ms)"
            )
            print("target: every series under 30 s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
