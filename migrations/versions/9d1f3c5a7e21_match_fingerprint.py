"""match fingerprint: which fitted index scored each stored match

Revision ID: 9d1f3c5a7e21
Revises: 782fc817675a
Create Date: 2026-12-02 11:15:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '9d1f3c5a7e21'
down_revision: Union[str, None] = '782fc817675a'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('match', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('match', schema=None) as batch_op:
        batch_op.drop_column('fingerprint')
