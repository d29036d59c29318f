"""Text messages join the outbox: a ``channel`` per row (``mail`` or ``sms``), no subject for a text.

Existing rows are mail. A text's recipient is an E.164 number and its text sits in ``text_body``,
erased once sent like a mail's bodies.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mail_outbox") as batch:
        batch.add_column(sa.Column("channel", sa.String(8), nullable=False, server_default="mail"))
        batch.alter_column("subject", existing_type=sa.String(255), nullable=True)


def downgrade() -> None:
    # Texts have no place in a mail-only outbox: unsent ones are dropped with the column.
    op.execute("DELETE FROM mail_outbox WHERE channel <> 'mail'")
    with op.batch_alter_table("mail_outbox") as batch:
        batch.alter_column("subject", existing_type=sa.String(255), nullable=False)
        batch.drop_column("channel")
