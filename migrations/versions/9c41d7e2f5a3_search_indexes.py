"""search indexes: published items by last change, HS codes by prefix

``/search`` orders by the newest change and reads the catalogue's version (how many published
items, the latest change, the highest id) at every search: (status, updated_at, id) answers all
three from the index alone (an index-only count instead of reading the table). A code typed in the box ("9403") finds items by HS prefix, which PostgreSQL answers
from an index only with the pattern operator class (SQLite ignores it: a plain index there).

Revision ID: 9c41d7e2f5a3
Revises: 9d1f3c5a7e21
Create Date: 2026-12-02 11:30:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '9c41d7e2f5a3'
down_revision: Union[str, None] = '9d1f3c5a7e21'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("product_profile", "buying_request")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_status_updated_at", ["status", "updated_at", "id"], unique=False)
            batch_op.create_index(f"ix_{table}_hs_code_prefix", ["hs_code"], unique=False,
                                  postgresql_ops={"hs_code": "varchar_pattern_ops"})


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_hs_code_prefix")
            batch_op.drop_index(f"ix_{table}_status_updated_at")
