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
