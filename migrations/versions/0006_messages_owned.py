"""Messages the operator owns: stored copies, notices per line, background jobs.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "ref"),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_run_after"), ["run_after"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_done_at"), ["done_at"], unique=False)
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notify", sa.String(length=16), server_default="none", nullable=False)
        )
        batch_op.add_column(sa.Column("mobile", sa.String(length=16), nullable=True))
    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("greeting_key", sa.String(length=256), nullable=True))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stored_key", sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("transcript", sa.Text(), nullable=True))
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=8), server_default="email", nullable=False)
        )
        batch_op.add_column(sa.Column("attachment_key", sa.String(length=256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_column("attachment_key")
        batch_op.drop_column("channel")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("transcript")
        batch_op.drop_column("notified_at")
        batch_op.drop_column("stored_key")
    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.drop_column("greeting_key")
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_column("mobile")
        batch_op.drop_column("notify")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_done_at"))
        batch_op.drop_index(batch_op.f("ix_jobs_run_after"))
    op.drop_table("jobs")
