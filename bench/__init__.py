"""Benchmarks: `make bench` runs them and prints server times per page."""

import sqlalchemy as sa


def reset_schema(db) -> None:
    """Drop everything in a PostgreSQL benchmark database (SQLite files start empty)."""
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "postgresql":
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))


def fresh_schema(db) -> None:
    """An empty database at the latest migration."""
    from flask_migrate import upgrade

    reset_schema(db)
    upgrade()
