"""Engine settings per backend."""

from sqlalchemy import event


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
