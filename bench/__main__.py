"""`make bench`: server time per page (median, p95), queries per request, and how the page
compares with the raw SQL it runs.

Each page is requested in-process through the WSGI app (so the figures are server time:
routing, queries, templates), against a database seeded at each scale given with
`--scales` (default small,large). SQLite files in a temporary folder by default;
BENCH_DATABASE_URL points at another database (PostgreSQL), whose schema is dropped and
rebuilt for each scale unless `--reuse` finds it already seeded (a "{scale}" in the URL
gives each scale its own database). "raw" is the time of re-running the exact statements
of one request straight on a DBAPI connection; page/raw shows what the app adds on top.
The last column compares the large-scale median with the small-scale one: lists that stay
fast as data grows keep it near 1.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time

import sqlalchemy as sa

from bench import reset_schema
from bench.pages import PAGES
from bench.sql import RAW_REPEATS, StatementLog, raw_sql_time

ADMIN_PASSWORD = "bench admin password"  # noqa: S105 - a throwaway benchmark database


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _database_url(scale: str, workdir: str) -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        return f"sqlite:///{workdir}/bench-{scale}.db"
    return url.replace("{scale}", scale)


def _build_app(scale: str, workdir: str, reuse: bool):
    os.environ["RAPPORT_INSTANCE_PATH"] = os.path.join(workdir, f"instance-{scale}")
    from flask_migrate import upgrade

    from app import create_app
    from app.audit import set_actor
    from app.extensions import db
    from app.models.identity import Role, User
    from app.models.predictions import PredictionModel
    from app.services import demo

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": _database_url(scale, workdir),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        },
        env="testing",
    )
    with app.app_context():
        set_actor(db.session, None, source="cli")
        admin = None
        if reuse:
            upgrade()
            admin = db.session.scalars(sa.select(User).where(User.role == Role.ADMIN)).first()
        if admin is not None:
            admin.set_password(ADMIN_PASSWORD)  # a database seeded by `flask rapport seed`
            print(f"  reusing the seeded database for {scale}", file=sys.stderr)
        else:
            db.session.rollback()  # release the users table before dropping the schema
            reset_schema(db)
            upgrade()
            started = time.perf_counter()
            summary = demo.seed(seed=42, scale=scale, admin_password=ADMIN_PASSWORD)
            seconds = time.perf_counter() - started
            rows = sum(summary.values())
            print(
                f"  seeded {scale} in {seconds:.1f}s ({rows / seconds:,.0f} rows/s)",
                file=sys.stderr,
            )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(sa.text("VACUUM ANALYZE"))
        if not db.session.scalar(sa.select(sa.func.count()).select_from(PredictionModel)):
            _train_models()  # after ANALYZE, as a nightly job runs on a live database
    return app


def _train_models() -> None:
    """Train and score every AI model as the nightly job does, timing each."""
    from app.extensions import db
    from app.models.predictions import PredictionKind
    from app.services.predictions import registry

    for kind in PredictionKind:
        started = time.perf_counter()
        version = registry.train_and_score(kind)
        db.session.commit()
        print(
            f"  trained {kind.value} in {time.perf_counter() - started:.1f}s "
            f"({version.mode.value}, {version.rows:,} rows, {version.scored:,} scored)",
            file=sys.stderr,
        )


def _credentials(page) -> dict:
    if page.user in ("rep", "agent"):
        from app.services.demo import DEMO_PASSWORD

        # user5 sells in the first sales team; user8 is a support agent of the
        # "Customer Support" team at every scale (see app.services.demo).
        email = "user5@example.com" if page.user == "rep" else "user8@example.com"
        return {"email": email, "password": DEMO_PASSWORD}
    return {"email": "admin@example.com", "password": ADMIN_PASSWORD}


def _resolve(app, page) -> str | None:
    """The page's URL, or None when this build has no such endpoint yet."""
    from werkzeug.exceptions import MethodNotAllowed, NotFound

    from app.extensions import db

    with app.app_context():
        try:
            path = page.path() if callable(page.path) else page.path
            method = "POST" if page.form else "GET"
            app.url_map.bind("localhost").match(path.split("?")[0], method=method)
        except (NotFound, MethodNotAllowed, ImportError):
            return None
        finally:
            db.session.remove()
    return path


def _request(client, path: str, data: dict | None):
    if data is None:
        return client.get(path)
    return client.post(path, data=data, headers={"HX-Request": "true"})


def _form_data(app, page) -> dict | None:
    if page.form is None:
        return None
    from app.extensions import db

    with app.app_context():
        try:
            return page.form()
        finally:
            db.session.remove()


def measure(
    scale: str, requests: int, workdir: str, reuse: bool, only: str = ""
) -> dict[str, dict]:
    app = _build_app(scale, workdir, reuse)
    from app.extensions import db

    results = {}
    with app.app_context():
        log = StatementLog(db.engine)
    for page in PAGES:
        if only and not any(word.strip() in page.name for word in only.split(",")):
            continue
        path = _resolve(app, page)
        if path is None:
            print(f"  skipped {page.name}: no such page in this build", file=sys.stderr)
            continue
        client = app.test_client()
        if page.login:
            client.post("/login", data=_credentials(page))
        for _ in range(5):  # warm caches, compile templates
            _request(client, path, _form_data(app, page))
        timings, queries = [], []
        for _ in range(requests):
            data = _form_data(app, page)
            log.start()
            started = time.perf_counter()
            response = _request(client, path, data)
            timings.append((time.perf_counter() - started) * 1000)
            queries.append(len(log.statements))
            if response.status_code != 200:
                raise SystemExit(f"{page.name}: {path} answered {response.status_code}")
        with app.app_context():
            raw = raw_sql_time(db.engine, log.statements)
        rows = len(re.findall(r"<tr[ >]", response.get_data(as_text=True)))
        p50 = statistics.median(timings)
        results[page.name] = {
            "p50": p50,
            "p95": _percentile(timings, 0.95),
            "queries": max(queries),
            "rows": rows,
            "raw": raw,
            "ratio": p50 / raw if raw else 0.0,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--scales", default="small,large")
    parser.add_argument(
        "--reuse", action="store_true", help="Use an already seeded BENCH_DATABASE_URL."
    )
    parser.add_argument(
        "--pages", default="", help="Only pages whose name contains one of these (a,b)."
    )
    args = parser.parse_args()
    scales = args.scales.split(",")
    with tempfile.TemporaryDirectory() as workdir:
        figures = {
            scale: measure(scale, args.requests, workdir, args.reuse, args.pages)
            for scale in scales
        }
    print(f"raw = median of {RAW_REPEATS} re-runs of one request's statements")
    header = f"{'page':<22}" + "".join(
        f"{scale + ' p50':>12}{'p95':>10}{'queries':>8}{'rows':>5}{'raw':>9}{'page/raw':>9}"
        for scale in scales
    )
    if len(scales) == 2:
        header += f"{'large/small':>12}"
    print(header)
    for page in PAGES:
        if not all(page.name in figures[scale] for scale in scales):
            continue
        line = f"{page.name:<22}"
        for scale in scales:
            f = figures[scale][page.name]
            line += (
                f"{f['p50']:>10.2f}ms{f['p95']:>8.2f}ms{f['queries']:>8}{f['rows']:>5}"
                f"{f['raw']:>7.2f}ms{f['ratio']:>9.1f}"
            )
        if len(scales) == 2:
            small, large = (figures[s][page.name]["p50"] for s in scales)
            line += f"{large / small:>12.2f}"
        print(line)


if __name__ == "__main__":
    main()
