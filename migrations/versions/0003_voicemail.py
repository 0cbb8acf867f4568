"""Voicemail: messages, personal greetings, each line's time zone, phantom strikes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 02:26:28.397829
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "phantom_strikes",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("strikes", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("phantom_strikes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_phantom_strikes_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("recording_sid", sa.String(length=64), nullable=False),
        sa.Column("recording_url", sa.String(length=512), nullable=False),
        sa.Column("heard", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recording_sid"),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_line_id"), ["line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_received_at"), ["received_at"], unique=False)

    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False)
        )

    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("greeting_sid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("greeting_url", sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.drop_column("greeting_url")
        batch_op.drop_column("greeting_sid")

    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_column("time_zone")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_received_at"))
        batch_op.drop_index(batch_op.f("ix_messages_line_id"))

    op.drop_table("messages")
    with op.batch_alter_table("phantom_strikes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phantom_strikes_updated_at"))

    op.drop_table("phantom_strikes")
