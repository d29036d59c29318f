"""Bulk customer imports (BO §4.7): the jobs and their per-row results.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "customer_imports",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("source", sa.Text, nullable=True),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("processed", sa.Integer, nullable=False),
        sa.Column("succeeded", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_by_type", sa.String(16), nullable=False),
        sa.Column("created_by_role", sa.String(16), nullable=False),
        sa.Column("stores", Json, nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("claimed_until", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("started_at", Timestamp, nullable=True),
        sa.Column("finished_at", Timestamp, nullable=True),
    )
    op.create_index("ix_customer_imports_status_created_at", "customer_imports", ["status", "created_at"])
    op.create_index("ix_customer_imports_created_at_id", "customer_imports", ["created_at", "id"])
    op.create_table(
        "customer_import_rows",
        sa.Column("import_id", sa.String(36), sa.ForeignKey("customer_imports.id"), primary_key=True),
        sa.Column("row", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("email", sa.String(255), nullable=True),
        sa.Column("customer_reference", sa.String(40), nullable=True),
        sa.Column("errors", Json, nullable=False),
    )
    op.create_index(
        "ix_customer_import_rows_customer_reference", "customer_import_rows", ["customer_reference"]
    )


def downgrade() -> None:
    op.drop_index("ix_customer_import_rows_customer_reference", table_name="customer_import_rows")
    op.drop_table("customer_import_rows")
    op.drop_index("ix_customer_imports_created_at_id", table_name="customer_imports")
    op.drop_index("ix_customer_imports_status_created_at", table_name="customer_imports")
    op.drop_table("customer_imports")
