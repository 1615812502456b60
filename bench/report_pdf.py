"""Report PDF speed: milliseconds per sales-funnel PDF (median, p95) and PDFs a minute for one
worker, as the export job and the scheduled-report sweep make them.

    .venv/bin/python -m bench.report_pdf [--renders 30] [--locale zh_Hant] [--out sample.pdf]

The time is what the job spends: the report counted for the reader (aggregate SQL), the
HTML from templates/pdf/report.html, WeasyPrint's layout and PDF, the file written among
the job outputs. The database is the small demo seed (`flask rapport seed`) in a fresh
SQLite file in a temporary folder; BENCH_DATABASE_URL points at another database (its
schema is dropped and rebuilt). The first render (fonts loaded, caches filled) is timed
apart as "first".
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

import sqlalchemy as sa


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--report", default="sales-funnel")
    parser.add_argument("--locale", default="en", help="the reader's language (en, zh_Hant)")
    parser.add_argument("--out", help="also copy the last PDF to this file")
    options = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="rapport-bench-report-pdf-")
    os.environ["RAPPORT_INSTANCE_PATH"] = os.path.join(workdir, "instance")
    from app import create_app
    from app.audit import set_actor
    from app.extensions import db
    from app.models.identity import Role, User
    from app.services import demo, exports, report_pdf
    from bench import fresh_schema

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir}/bench-report-pdf.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url}, env="testing")
    with app.app_context(), app.test_request_context(base_url=app.config["BASE_URL"]):
        fresh_schema(db)
        set_actor(db.session, None, source="cli")
        demo.seed(seed=42, scale="small", admin_password="bench admin password")
        db.session.commit()
        reader = db.session.scalars(
            sa.select(User).where(User.role == Role.MANAGER).order_by(User.id)
        ).first()
        reader.locale = options.locale
        db.session.commit()
        args = {"period": "last_36_months"}

        timings, pages = [], 0
        for n in range(options.renders + 1):
            started = time.perf_counter()
            counted, data = report_pdf.export(options.report, args, reader)
            name = report_pdf.store(data)
            elapsed = (time.perf_counter() - started) * 1000
            if n == 0:
                first = elapsed
            else:
                timings.append(elapsed)
        path = exports.result_path(name)
        size = os.path.getsize(path)
        rows = len(counted.result.rows)
        dialect = db.engine.dialect.name
        if options.out:
            shutil.copyfile(path, options.out)
        from pypdf import PdfReader

        pages = len(PdfReader(path).pages)

    median = statistics.median(timings)
    print(f"database: {dialect}; reader's language: {options.locale}", file=sys.stderr)
    print(
        f"{len(timings)} PDFs of {options.report} ({rows} rows, {pages} page(s)): "
        f"median {median:.0f} ms, p95 {_percentile(timings, 0.95):.0f} ms, "
        f"first {first:.0f} ms; {60_000 / statistics.mean(timings):.0f} PDFs/minute for one "
        f"worker; PDF {size / 1024:.0f} KiB"
    )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
