"""catalogue change log and derived positions

Revision ID: 782fc817675a
Revises: 4f978d4e9e80
Create Date: 2026-12-02 10:46:29.403883
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '782fc817675a'
down_revision: Union[str, None] = '4f978d4e9e80'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('catalogue_change',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('side', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    # Positions must never be handed out twice, even after the oldest rows are pruned.
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('catalogue_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalogue_change_item_id'), ['item_id'], unique=False)

    op.create_table('derived_position',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('derived_position')
    with op.batch_alter_table('catalogue_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalogue_change_item_id'))

    op.drop_table('catalogue_change')
