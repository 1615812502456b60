"""Engine settings per backend."""

import sqlalchemy as sa
from sqlalchemy import event

# PostgreSQL's JIT compiles any plan costed above jit_above_cost: 80-130 ms of compiling for
# a segment count or a report aggregate that runs in 100 ms. Rapport's queries are short.
POSTGRESQL_CONNECT_ARGS = {"options": "-c jit=off"}


def tune_sqlite(engine) -> None:
    """WAL, foreign keys and a busy timeout, so web, worker and cron share one SQLite file."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def is_search_machinery(name: str | None, type_: str) -> bool:
    """Objects the migrations create by hand for substring search, which no model declares:
    SQLite FTS5 tables (with their shadow tables), PostgreSQL trigram and bigram indexes."""
    if not name:
        return False
    return (type_ == "table" and "_fts" in name) or (
        type_ == "index" and name.endswith(("_search_trgm", "_search_bigrams"))
    )


def room_for_hashes(session) -> None:
    """Let the rest of this transaction hash a few hundred thousand keys in memory (on
    PostgreSQL): with the default 4 MB work_mem the planner turns a set lookup under an OR
    into one index probe per row, and aggregates spill to disk. SET LOCAL ends at commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
