"""matching backlog: lists a large change owes, worked through in slices

Revision ID: e5b8c3d1f7a2
Revises: 9c41d7e2f5a3
Create Date: 2026-12-03 08:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'e5b8c3d1f7a2'
down_revision: Union[str, None] = '9c41d7e2f5a3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "matching_backlog",
        sa.Column("side", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("side", "item_id"),
    )


def downgrade() -> None:
    op.drop_table("matching_backlog")
