"""`make bench`: server time per page (median, p95) and queries per request.

Each page is requested in-process through the WSGI app (so the figures are server time:
routing, queries, templates), against a fresh database seeded at the small and the large
scale. The last column compares the large-scale median with the small-scale one: lists
that stay fast as data grows keep it near 1.
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

from bench.pages import PAGES


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class QueryCounter:
    def __init__(self, engine):
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kwargs):
        self.count += 1


def _build_app(scale: str, workdir: str):
    os.environ["RAPPORT_INSTANCE_PATH"] = os.path.join(workdir, f"instance-{scale}")
    from app import create_app
    from app.audit import set_actor
    from app.extensions import db
    from app.services import demo

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir}/bench-{scale}.db"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False},
        env="testing",
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        set_actor(db.session, None, source="cli")
        started = time.perf_counter()
        demo.seed(seed=42, scale=scale, admin_password="bench admin password")
        db.session.commit()
        print(f"  seeded {scale} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return app


def measure(scale: str, requests: int, workdir: str) -> dict[str, dict]:
    app = _build_app(scale, workdir)
    from app.extensions import db

    results = {}
    with app.app_context():
        counter = QueryCounter(db.engine)
    for page in PAGES:
        client = app.test_client()
        if page.login:
            client.post(
                "/login",
                data={"email": "admin@example.com", "password": "bench admin password"},
            )
        path = page.path
        for _ in range(5):  # warm caches, compile templates
            client.get(path)
        timings, queries = [], []
        for _ in range(requests):
            before = counter.count
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            queries.append(counter.count - before)
            if response.status_code != 200:
                raise SystemExit(f"{page.name}: {path} answered {response.status_code}")
        rows = len(re.findall(r"<tr[ >]", response.get_data(as_text=True)))
        results[page.name] = {
            "p50": statistics.median(timings),
            "p95": _percentile(timings, 0.95),
            "queries": max(queries),
            "rows": rows,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--scales", default="small,large")
    args = parser.parse_args()
    scales = args.scales.split(",")
    with tempfile.TemporaryDirectory() as workdir:
        figures = {scale: measure(scale, args.requests, workdir) for scale in scales}
    header = f"{'page':<22}" + "".join(
        f"{scale + ' p50':>12}{scale + ' p95':>12}{'queries':>9}{'rows':>6}" for scale in scales
    )
    if len(scales) == 2:
        header += f"{'large/small':>13}"
    print(header)
    for page in PAGES:
        line = f"{page.name:<22}"
        for scale in scales:
            f = figures[scale][page.name]
            line += f"{f['p50']:>10.2f}ms{f['p95']:>10.2f}ms{f['queries']:>9}{f['rows']:>6}"
        if len(scales) == 2:
            small, large = (figures[s][page.name]["p50"] for s in scales)
            line += f"{large / small:>13.2f}"
        print(line)


if __name__ == "__main__":
    main()
