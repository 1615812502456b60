"""Quote PDF speed: milliseconds per quote (median, p95) and quotes a minute for one worker.

    .venv/bin/python -m bench.quote_pdf [--quotes 50] [--lines 10] [--out sample.pdf]

Each quote has ten lines, a third of them with Chinese names and descriptions, an
introduction and terms; the time is what the render job spends: HTML from the template,
WeasyPrint's layout and PDF, the file written to instance/quotes and the quote flushed.
A fresh SQLite file in a temporary folder by default; BENCH_DATABASE_URL points at another
database (its schema is dropped and rebuilt). The first render (fonts loaded, caches
filled) is timed apart as "first".
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _line(n: int) -> dict:
    if n % 3 == 0:
        return {
            "name": f"雲端訂閱方案 {n}",
            "description": "每月 100 位使用者，含技術支援與教育訓練",
            "quantity": "12",
            "unit": "月",
            "unit_price": "1500.00",
            "tax_rate": "5",
        }
    return {
        "name": f"Professional services, item {n}",
        "description": "On-site consulting and configuration, billed per day",
        "quantity": str(1 + n % 4),
        "unit": "day",
        "unit_price": "850.00",
        "discount_percent": "10" if n % 2 else "0",
        "tax_rate": "5",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=50)
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--out", help="also copy the last PDF to this file")
    options = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="rapport-bench-quote-pdf-")
    os.environ["RAPPORT_INSTANCE_PATH"] = os.path.join(workdir, "instance")
    from app import create_app
    from app.audit import set_actor
    from app.extensions import db
    from app.models.identity import Role, User
    from app.services import contacts, customers, quote_pdf, quotes
    from bench import fresh_schema

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir}/bench-quote-pdf.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url}, env="testing")
    with app.app_context(), app.test_request_context(base_url=app.config["BASE_URL"]):
        fresh_schema(db)
        rep = User(email="rep@example.com", name="Rep", role=Role.SALES)
        rep.set_password("bench password")
        db.session.add(rep)
        db.session.commit()
        set_actor(db.session, rep, source="cli")
        customer = customers.create_customer(
            rep,
            name="台北貿易股份有限公司",
            addresses=[
                {
                    "kind": "BILLING",
                    "line1": "信義路五段7號",
                    "city": "台北",
                    "postal_code": "110",
                    "country": "TW",
                }
            ],  # fmt: skip
        )
        contact = contacts.create_contact(
            rep, customer_id=customer.id, first_name="小明", last_name="王", email="w@x.tw"
        )
        ids = []
        for n in range(options.quotes + 1):
            quote = quotes.create_quote(
                rep,
                customer_id=customer.id,
                contact_id=contact.id,
                title=f"Annual subscription and services {n}",
                introduction="感謝您的詢價。Thank you for your enquiry; our offer follows.",
                terms="Payment within 30 days.\n付款條件：月結 30 天。",
            )
            for k in range(options.lines):
                quotes.add_line(quote, rep, **_line(k))
            ids.append(quote.id)
        db.session.commit()

        timings = []
        for n, quote_id in enumerate(ids):
            quote = db.session.get(quotes.Quote, quote_id)
            started = time.perf_counter()
            path = quote_pdf.ensure_pdf(quote)
            db.session.commit()
            elapsed = (time.perf_counter() - started) * 1000
            if n == 0:
                first = elapsed
            else:
                timings.append(elapsed)
        size = os.path.getsize(path)
        dialect = db.engine.dialect.name
        if options.out:
            shutil.copyfile(path, options.out)

    median = statistics.median(timings)
    print(f"database: {dialect}", file=sys.stderr)
    print(
        f"{len(timings)} quotes of {options.lines} lines: median {median:.0f} ms, "
        f"p95 {_percentile(timings, 0.95):.0f} ms, first {first:.0f} ms; "
        f"{60_000 / statistics.mean(timings):.0f} quotes/minute for one worker; "
        f"PDF {size / 1024:.0f} KiB"
    )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
