"""bigram search for two-character terms (PostgreSQL)

Trigram indexes cannot serve a two-character term, and many Chinese names and words are
two characters long. On PostgreSQL a GIN index over the bigrams of search_text answers
them; SQLite keeps its LIKE scan (see app.services.search).

Revision ID: b5c1e0d2f7a3
Revises: 7a6412fabf49
Create Date: 2026-11-24 22:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b5c1e0d2f7a3'
down_revision = '7a6412fabf49'
branch_labels = None
depends_on = None

SEARCHED_TABLES = ("customers", "contacts")

BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION rapport_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}')
    FROM generate_series(1, length(t) - 1) AS i
$$
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(BIGRAMS_FUNCTION)
    for table in SEARCHED_TABLES:
        op.execute(
            f"CREATE INDEX ix_{table}_search_bigrams ON {table} "
            f"USING gin (rapport_bigrams(search_text))"
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in SEARCHED_TABLES:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_bigrams")
    op.execute("DROP FUNCTION IF EXISTS rapport_bigrams(text)")
