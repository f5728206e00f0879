"""match ranks for incremental refresh

Each stored match records why the engine keeps it: the product's rank in the request's top list and
the request's rank in the product's. Rows stored before this revision have neither; the first refresh
after the upgrade sees such a proposal and recomputes every match once (services.matches.refresh).

Revision ID: 18b0e0de7b48
Revises: b3addba9e9d9
Create Date: 2026-12-01 06:42:39.970498
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '18b0e0de7b48'
down_revision: Union[str, None] = 'b3addba9e9d9'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('match', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rank_for_request', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rank_for_product', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('match', schema=None) as batch_op:
        batch_op.drop_column('rank_for_product')
        batch_op.drop_column('rank_for_request')
