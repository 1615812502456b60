"""Email ingest speed: time per message taking in generated mail as the MTA pipe and the
IMAP poller do (parse, find or create the contact and ticket, store, commit, queue the
acknowledgement).

    .venv/bin/python -m bench.ingest [--messages 1000] [--senders 300]

A fresh SQLite file in a temporary folder by default; BENCH_DATABASE_URL points at another
database (its schema is dropped and rebuilt), REDIS_URL at a Redis server (else the embedded
one). The mail is like a support mailbox's: about 45% new requests (some HTML-only, 10% with
a small attachment), 35% replies threading by plus address, subject reference or
In-Reply-To, 12% auto-replies and bounces, 3% second deliveries of the same message.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from email.message import EmailMessage

import sqlalchemy as sa

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def _message(n: int, sender: str, subject: str, text: str, **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = headers.pop("to", "support@rapport.local")
    message["Subject"] = subject
    message["Message-ID"] = f"<bench-{n}@customer.example>"
    message["Date"] = "Tue, 24 Nov 2026 10:00:00 +0000"
    for name, value in headers.items():
        message[name] = value
    if n % 7 == 0:
        message.set_content(f"<html><body><p>{text}</p><p>Best,<br>Jane</p></body></html>",
                            subtype="html")  # fmt: skip
    else:
        message.set_content(f"{text}\n\nBest regards,\nJane\n\nOn Monday Support wrote:\n> Hi")
    return message


def generate(count: int, senders: int, rng: random.Random):
    """Yield (kind, raw bytes, ticket message ids known so far) in arrival order."""
    opened: list[tuple[str, str, str]] = []  # (message id, sender, ticket number)
    last_raw = None
    for n in range(count):
        roll = rng.random()
        who = f"Customer {n % senders} <customer{rng.randrange(senders)}@client{n % 40}.example>"
        if roll < 0.03 and last_raw is not None:
            yield "duplicate", last_raw
            continue
        if roll < 0.15:
            headers = rng.choice([
                {"Auto-Submitted": "auto-replied"}, {"X-Autoreply": "yes"},
                {"Precedence": "bulk"}, {"Return-Path": "<>"},
            ])  # fmt: skip
            message = _message(n, who, "Out of office", "I am away until Monday.", **headers)
            kind = "auto-reply"
        elif roll < 0.50 and opened:
            mid, sender, number = rng.choice(opened)
            how = rng.randrange(3)
            headers = {"In-Reply-To": mid, "References": mid} if how == 2 else {}
            if how == 0:
                headers["to"] = f"support+{number}@rapport.local"
            subject = f"Re: [{number}] Printer" if how == 1 else "Re: Printer"
            message = _message(n, sender, subject, f"Still broken, attempt {n}.", **headers)
            kind = "reply"
        else:
            message = _message(
                n, who, f"Printer {n} does not print",
                f"Order {n}: the printer shows error E{rng.randrange(100)}. " * 5,
            )  # fmt: skip
            if rng.random() < 0.2:
                message.add_attachment(PNG, maintype="image", subtype="png", filename="photo.png")
            opened.append((message["Message-ID"], message["From"], f"T-{len(opened) + 1:06d}"))
            kind = "new"
        last_raw = message.as_bytes()
        yield kind, last_raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000)
    parser.add_argument("--senders", type=int, default=300)
    options = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="rapport-bench-ingest-")
    os.environ["RAPPORT_INSTANCE_PATH"] = os.path.join(workdir, "instance")
    from app import create_app
    from app.audit import set_actor
    from app.extensions import db
    from app.models.service import Ticket, TicketAttachment, TicketComment
    from app.services import ticket_mail
    from bench import fresh_schema

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir}/bench-ingest.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": os.environ.get("REDIS_URL"),
                      "RAPPORT_MAIL_LOOP_LIMIT": 1_000_000}, env="testing")  # fmt: skip
    with app.app_context():
        fresh_schema(db)
        from app import queues

        queues.connection().flushdb()
        # Opened tickets are numbered in arrival order only if replies never open new ones:
        # the generator's replies come from the ticket's own sender, so they thread.
        messages = list(generate(options.messages, options.senders, random.Random(42)))
        timings: list[float] = []
        actions: Counter = Counter()
        started = time.perf_counter()
        for _, raw in messages:
            began = time.perf_counter()
            set_actor(db.session, None, source="email")
            result = ticket_mail.ingest(raw)
            db.session.commit()
            timings.append((time.perf_counter() - began) * 1000)
            actions[result.action] += 1
        seconds = time.perf_counter() - started

        def count(model):
            return db.session.scalar(sa.select(sa.func.count()).select_from(model))

        timings.sort()
        p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
        print(f"database: {db.engine.dialect.name}", file=sys.stderr)
        print(
            f"{len(messages):,} emails in {seconds:.2f}s = {len(messages) / seconds:,.0f} msg/s; "
            f"per message median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
            f"max {timings[-1]:.1f} ms"
        )
        print(
            "actions: "
            + ", ".join(f"{k} {v}" for k, v in sorted(actions.items()))
            + f"; tickets {count(Ticket):,}, comments {count(TicketComment):,}, "
            f"attachments {count(TicketAttachment):,}, "
            f"acknowledgements queued {queues.queue('mail').count:,}"
        )


if __name__ == "__main__":
    main()
