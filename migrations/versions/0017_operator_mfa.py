"""Operator MFA: enrolment-only back-office sessions.

BO §2.1: a session opened by a password alone while GLUE_OPERATOR_MFA_REQUIRED holds and the
operator has no active MFA is enrolment-only (enrol, confirm, log out).

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operator_sessions") as batch:
        batch.add_column(sa.Column("enrolment_only", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("operator_sessions") as batch:
        batch.drop_column("enrolment_only")
