"""Voicemail controls: urgent messages, the caller's review choices, recorded name, away greeting.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_sid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("name_url", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("away_sid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("away_url", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("away_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "caller_choices",
        sa.Column("recording_sid", sa.String(length=64), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("discarded", sa.Boolean(), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("recording_sid"),
    )
    with op.batch_alter_table("caller_choices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_caller_choices_chosen_at"), ["chosen_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_caller_choices_line_id"), ["line_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("caller_choices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_caller_choices_line_id"))
        batch_op.drop_index(batch_op.f("ix_caller_choices_chosen_at"))
    op.drop_table("caller_choices")
    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.drop_column("away_until")
        batch_op.drop_column("away_url")
        batch_op.drop_column("away_sid")
        batch_op.drop_column("name_url")
        batch_op.drop_column("name_sid")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("urgent")
