"""funnel facts: the furthest stage of a deal, the stay ended by each stage change

Revision ID: 82668f950fa2
Revises: 55ef0ee5189c
Create Date: 2026-12-07 19:39:29.058388

"""
from alembic import op
import sqlalchemy as sa

import app.models.base
from sqlalchemy import Text  # noqa: F401 (Alembic renders JSONB(astext_type=Text()))


# revision identifiers, used by Alembic.
revision = '82668f950fa2'
down_revision = '55ef0ee5189c'
branch_labels = None
depends_on = None


STEPS = ("PROSPECTING", "QUALIFICATION", "PROPOSAL", "NEGOTIATION", "CLOSED_WON")


def upgrade():
    # Plain ADD COLUMNs: a batch rebuild of opportunities would drop its search triggers.
    op.add_column('opportunities', sa.Column('furthest_stage', sa.Enum(*STEPS, 'CLOSED_LOST', name='opportunitystage', native_enum=False), nullable=True))
    op.add_column('opportunity_stage_changes', sa.Column('stay_seconds', sa.Integer(), nullable=True))
    depth = " ".join(f"WHEN '{stage}' THEN {n}" for n, stage in enumerate(STEPS, 1))
    stage = " ".join(f"WHEN {n} THEN '{stage}'" for n, stage in enumerate(STEPS, 1))
    op.execute(
        f"UPDATE opportunities SET furthest_stage = (SELECT CASE max(CASE c.to_stage {depth} "
        f"ELSE 0 END) {stage} END FROM opportunity_stage_changes c "
        f"WHERE c.opportunity_id = opportunities.id)"
    )
    if op.get_bind().dialect.name == "postgresql":
        seconds = "CAST(EXTRACT(EPOCH FROM changed_at - p.prev) AS INTEGER)"
    else:
        seconds = "CAST(ROUND((julianday(changed_at) - julianday(p.prev)) * 86400) AS INTEGER)"
    op.execute(
        f"UPDATE opportunity_stage_changes SET stay_seconds = {seconds} FROM (SELECT id AS pid, "
        f"lag(changed_at) OVER (PARTITION BY opportunity_id ORDER BY changed_at, id) AS prev "
        f"FROM opportunity_stage_changes) AS p "
        f"WHERE p.pid = opportunity_stage_changes.id AND p.prev IS NOT NULL"
    )


def downgrade():
    op.execute("ALTER TABLE opportunity_stage_changes DROP COLUMN stay_seconds")
    op.execute("ALTER TABLE opportunities DROP COLUMN furthest_stage")
