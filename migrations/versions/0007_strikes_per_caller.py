"""A generation on each mailbox's strike count (the right code's compare-and-set),
and code attempts per calling number (spraying across calls and lines).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("strike_generation", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "caller_strikes",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("strikes", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("throttled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("caller_strikes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_caller_strikes_updated_at"), ["updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("caller_strikes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_caller_strikes_updated_at"))
    op.drop_table("caller_strikes")
    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.drop_column("strike_generation")
