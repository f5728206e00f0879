"""edit versions (optimistic locking) on organisations, products and requests; audit reason

Existing rows start at version 1, the version a new record gets.

Revision ID: b3addba9e9d9
Revises: 2db569fd1a4f
Create Date: 2026-12-01 06:38:35.160925
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'b3addba9e9d9'
down_revision: Union[str, None] = '2db569fd1a4f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.JSON(), nullable=True))

    with op.batch_alter_table('buying_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))

    with op.batch_alter_table('product_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('product_profile', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('buying_request', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('reason')
