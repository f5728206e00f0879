"""index of unranked proposals: each save's matching looks for them without reading every match

Revision ID: f3a9d6c2e871
Revises: e5b8c3d1f7a2
Create Date: 2026-12-03 14:20:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'f3a9d6c2e871'
down_revision: Union[str, None] = 'e5b8c3d1f7a2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNRANKED_PROPOSAL = "status = 'proposed' AND rank_for_request IS NULL AND rank_for_product IS NULL"


def upgrade() -> None:
    op.create_index("ix_match_unranked_proposal", "match", ["id"], unique=False,
                    postgresql_where=sa.text(UNRANKED_PROPOSAL), sqlite_where=sa.text(UNRANKED_PROPOSAL))


def downgrade() -> None:
    op.drop_index("ix_match_unranked_proposal", table_name="match")
