"""introductions: people's work on a match

The curation loop's table. Nothing before this revision moved a match past "proposed", so there is
no earlier curated work to carry over.

Revision ID: 577f86f84747
Revises: 18b0e0de7b48
Create Date: 2026-12-01 11:31:25.063852
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '577f86f84747'
down_revision: Union[str, None] = '18b0e0de7b48'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('introduction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('weights_version', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('request_note', sa.Text(), nullable=False),
    sa.Column('dismiss_reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('curator_id', sa.Integer(), nullable=True),
    sa.Column('curator_note', sa.Text(), nullable=False),
    sa.Column('decline_reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('introduced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('supplier_accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('buyer_accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deal_value_usd', sa.Float(), nullable=True),
    sa.Column('deal_date', sa.Date(), nullable=True),
    sa.Column('lost_reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.ForeignKeyConstraint(['curator_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['match_id'], ['match.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product_profile.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['buying_request.id'], ),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('introduction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_introduction_curator_id'), ['curator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_introduction_match_id'), ['match_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_introduction_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_introduction_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_introduction_stage'), ['stage'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('introduction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_introduction_stage'))
        batch_op.drop_index(batch_op.f('ix_introduction_request_id'))
        batch_op.drop_index(batch_op.f('ix_introduction_product_id'))
        batch_op.drop_index(batch_op.f('ix_introduction_match_id'))
        batch_op.drop_index(batch_op.f('ix_introduction_curator_id'))

    op.drop_table('introduction')
