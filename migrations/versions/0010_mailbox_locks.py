"""The lock's record and notice (issue 9, item 10): each lock with its wrong codes'
calling numbers, the current cycle's strikes on the mailbox, held outbox messages.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recent_strikes", sa.Text(), nullable=True))
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_after", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "mailbox_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("strikes", sa.JSON(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mailbox_locks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mailbox_locks_line_id"), ["line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mailbox_locks_locked_at"), ["locked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mailbox_locks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mailbox_locks_locked_at"))
        batch_op.drop_index(batch_op.f("ix_mailbox_locks_line_id"))
    op.drop_table("mailbox_locks")
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_column("send_after")
    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.drop_column("recent_strikes")
