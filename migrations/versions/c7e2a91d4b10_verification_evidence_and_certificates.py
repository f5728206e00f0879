"""verification evidence and certificates

An organisation's registration number (NIB or BIN) and the curator's note, and the certificates an
organisation holds. Organisations verified before this revision keep their mark with no number (the
page says so); a curator adds the number when checking them again.

Revision ID: c7e2a91d4b10
Revises: c4e1a7d2b9f0
Create Date: 2026-12-02 02:20:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'c7e2a91d4b10'
down_revision: Union[str, None] = 'c4e1a7d2b9f0'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_number', sqlmodel.sql.sqltypes.AutoString(length=30),
                                      server_default='', nullable=False))
        batch_op.add_column(sa.Column('verification_note', sa.Text(), server_default='', nullable=False))

    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expiry_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['verified_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_organisation_id'), ['organisation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_organisation_id'))
    op.drop_table('certificate')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('verification_note')
        batch_op.drop_column('registration_number')
