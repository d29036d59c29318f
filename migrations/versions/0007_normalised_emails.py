"""Stored e-mail addresses in their normal form (NFC, IDNA-normalised lower-case domain).

Every live customer's ``email`` becomes its normal form and ``email_key`` the lower-cased normal
form, as the service now writes them. Two customers of one store whose addresses are one mailbox in
different spellings (NFC and NFD, ``xn--`` and Unicode domain) would end up with one key: they are
left as they were and reported, never merged, for an operator to resolve. Addresses that are no
valid address (``a@localhost``, accepted before) are left as they were and reported too.

The normal form is computed here with email-validator directly, not with the service's helper, so
this migration keeps doing what it did when the service changes.

Downgrade changes nothing: the old spellings are not kept, and the old code reads normal forms.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import logging
from collections import defaultdict

import sqlalchemy as sa
from alembic import op
from email_validator import EmailNotValidError, validate_email

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

logger = logging.getLogger("glue_customers.migrations")

customers = sa.table(
    "customers",
    sa.column("id", sa.Integer),
    sa.column("store", sa.String),
    sa.column("reference", sa.String),
    sa.column("email", sa.String),
    sa.column("email_key", sa.String),
    sa.column("anonymized_at", sa.DateTime),
)


def _normal_form(address: str) -> str | None:
    try:
        return str(validate_email(address.strip(), check_deliverability=False).normalized)
    except EmailNotValidError:
        return None


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            customers.c.id, customers.c.store, customers.c.reference, customers.c.email, customers.c.email_key
        )
        .where(customers.c.anonymized_at.is_(None))
        .order_by(customers.c.id)
    ).all()
    wanted: dict[int, tuple[str, str]] = {}
    for row in rows:
        normal = _normal_form(row.email)
        if normal is None:
            logger.warning(
                "customer %s (store %s): %r is not a valid e-mail address; left unchanged",
                row.reference,
                row.store,
                row.email,
            )
            continue
        if (normal, normal.lower()) != (row.email, row.email_key):
            wanted[row.id] = (normal, normal.lower())

    # A key two customers would share is a collision: those customers keep their stored values,
    # which may in turn collide with another's new key, so repeat until no key is shared.
    by_id = {row.id: row for row in rows}
    collided: set[int] = set()

    def final_key(customer_id: int) -> str:
        if customer_id in wanted and customer_id not in collided:
            return wanted[customer_id][1]
        return str(by_id[customer_id].email_key)

    while True:
        holders: dict[tuple[str, str], list[int]] = defaultdict(list)
        for customer_id in by_id:
            holders[(by_id[customer_id].store, final_key(customer_id))].append(customer_id)
        shared = {
            customer_id
            for ids in holders.values()
            if len(ids) > 1
            for customer_id in ids
            if customer_id in wanted and customer_id not in collided
        }
        if not shared:
            break
        collided |= shared
    for customer_id in sorted(collided):
        row = by_id[customer_id]
        spelling = wanted[customer_id][1]
        others = sorted(
            by_id[other].reference
            for other in by_id
            if other != customer_id
            and by_id[other].store == row.store
            and spelling in (final_key(other), wanted.get(other, ("", ""))[1])
        )
        logger.warning(
            "customer %s (store %s): %r is the address of %s in another spelling; left unchanged, "
            "not merged: resolve by hand",
            row.reference,
            row.store,
            row.email,
            ", ".join(others),
        )

    changes = {customer_id: values for customer_id, values in wanted.items() if customer_id not in collided}
    # Two steps, so a key moving from one customer to another never meets the unique index twice.
    for customer_id in changes:
        connection.execute(
            customers.update()
            .where(customers.c.id == customer_id)
            .values(email_key=f"normalising:{customer_id}")
        )
    for customer_id, (email, key) in changes.items():
        connection.execute(
            customers.update().where(customers.c.id == customer_id).values(email=email, email_key=key)
        )
    if changes or collided:
        logger.warning(
            "e-mail addresses normalised: %d changed, %d left unchanged for collisions",
            len(changes),
            len(collided),
        )


def downgrade() -> None:
    pass
