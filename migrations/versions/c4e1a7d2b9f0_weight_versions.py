"""weight versions: learnt component weights, and which version scored each match

Revision ID: c4e1a7d2b9f0
Revises: 577f86f84747
Create Date: 2026-12-02 02:20:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'c4e1a7d2b9f0'
down_revision: Union[str, None] = '577f86f84747'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('weight_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('n_labels', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('weight_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weight_version_active'), ['active'], unique=False)

    # Matches stored before this revision were all scored by the built-in weights ("w1"); the next
    # refresh or rematch writes the version again.
    with op.batch_alter_table('match', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weights_version', sqlmodel.sql.sqltypes.AutoString(length=40),
                                      nullable=True))
    op.execute(sa.table('match', sa.column('weights_version')).update().values(weights_version='w1'))


def downgrade() -> None:
    with op.batch_alter_table('match', schema=None) as batch_op:
        batch_op.drop_column('weights_version')

    with op.batch_alter_table('weight_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weight_version_active'))

    op.drop_table('weight_version')
