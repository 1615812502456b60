"""Import speed: rows per second of a generated customer CSV through the import job.

    .venv/bin/python -m bench.imports [--rows 10000] [--existing 1000]

A fresh SQLite file in a temporary folder by default; BENCH_DATABASE_URL points at another
database (its schema is dropped and rebuilt). The file has 2% bad emails, 2% rows without
a name and 3% duplicates of existing customers, like a real export from another system;
every row goes through the customer service's checks, search text and audit trail, and the
job commits in batches of 500 as it does in production.

    .venv/bin/python -m bench.imports --rows 100000 --existing 100000

is the figure the README gives: 100,000 rows into a database of 100,000 customers.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time

import sqlalchemy as sa


def _csv(rows: int, existing: int) -> bytes:
    rng = random.Random(42)
    industries = ["Retail", "零售", "Manufacturing", "製造", "Logistics", "Software"]
    lines = ["客戶名稱,Company,電子郵件,電話,產業,Status,City,Tags"]
    for n in range(rows):
        name, email = f"Import Customer {n} 股份有限公司", f"import{n}@example.com"
        roll = rng.random()
        if roll < 0.02:
            email = "not-an-email"
        elif roll < 0.04:
            name = ""
        elif roll < 0.07 and existing:
            email = f"existing{rng.randrange(existing)}@x.io"
        phone = f"02-{rng.randrange(10**7, 10**8)}"
        tags = "vip" if n % 10 == 0 else ""
        lines.append(
            f"{name},Company {n},{email},{phone},{rng.choice(industries)},customer,Taipei,{tags}"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--existing", type=int, default=1_000)
    options = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="rapport-bench-imports-")
    os.environ["RAPPORT_INSTANCE_PATH"] = os.path.join(workdir, "instance")
    from app import create_app
    from app.audit import set_actor
    from app.extensions import db
    from app.jobs.imports import run_import
    from app.models.customers import Customer
    from app.models.identity import Role, User
    from app.models.records import DataImport
    from app.services import custom_fields, customers, imports
    from bench import fresh_schema

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir}/bench-imports.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url}, env="testing")
    with app.app_context():
        fresh_schema(db)
        rep = User(email="rep@example.com", name="Rep", role=Role.SALES)
        rep.set_password("bench password")
        db.session.add(rep)
        db.session.commit()
        set_actor(db.session, rep, source="cli")
        definitions = custom_fields.fields_for("customer")
        for start in range(0, options.existing, 1000):
            batch = range(start, min(start + 1000, options.existing))
            new = [
                customers.new_customer(
                    rep, {"name": f"Existing {n}", "email": f"existing{n}@x.io"}, definitions
                )
                for n in batch
            ]
            customers.insert_customers(new)
            db.session.commit()

        data = _csv(options.rows, options.existing)
        started = time.perf_counter()
        data_import = imports.start_import(rep, "customer", "bench.csv", data)
        imports.submit(data_import, rep)
        db.session.commit()
        import_id, rep_id = data_import.id, rep.id
        uploaded = time.perf_counter()
        run_import(import_id, actor_id=rep_id)
        finished = time.perf_counter()

        done = db.session.get(DataImport, import_id)
        total = db.session.scalar(sa.select(sa.func.count(Customer.id)))
        seconds = finished - uploaded
        print(f"database: {db.engine.dialect.name}", file=sys.stderr)
        print(
            f"{done.rows_done:,} rows in {seconds:.2f}s = {done.rows_done / seconds:,.0f} rows/s "
            f"(upload and parse {uploaded - started:.2f}s); created {done.created:,}, "
            f"skipped {done.skipped:,}, rejected {done.rejected:,}; customers now {total:,}"
        )


if __name__ == "__main__":
    main()
