"""The SQL a request runs, and how long that SQL takes on its own.

StatementLog records every statement (with its bound parameters, as the DBAPI received
them) between start() and the next start(); raw_sql_time re-runs them on a bare DBAPI
connection and fetches every row, which is the floor a page could reach with no ORM,
no Python and no templates.
"""

from __future__ import annotations

import statistics
import time

import sqlalchemy as sa

RAW_REPEATS = 20


class StatementLog:
    def __init__(self, engine):
        self.statements: list[tuple[str, object]] = []
        sa.event.listen(engine, "before_cursor_execute", self._record)

    def start(self) -> None:
        self.statements = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if not executemany:  # a GET page writes nothing worth re-running in bulk
            self.statements.append((statement, parameters))


def raw_sql_time(engine, statements: list[tuple[str, object]]) -> float:
    """Median milliseconds to run `statements` in order on one DBAPI connection (rolled
    back, so a statement that writes leaves nothing behind)."""
    if not statements:
        return 0.0
    connection = engine.raw_connection()
    try:
        timings = []
        for _ in range(RAW_REPEATS):
            cursor = connection.cursor()
            started = time.perf_counter()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            timings.append((time.perf_counter() - started) * 1000)
            cursor.close()
            connection.rollback()
        return statistics.median(timings)
    finally:
        connection.close()
