"""Lines, their mailboxes, and the server-side state of calls.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 02:18:14.989968
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("customer_number", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_number"),
        sa.UniqueConstraint("number"),
    )
    op.create_table(
        "calls",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("flow", sa.String(length=16), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("home", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("last_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("last_response", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("sid"),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_ended_at"), ["ended_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_line_id"), ["line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "mailboxes",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=60), nullable=True),
        sa.Column("code_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ask_code_on_fixed_line", sa.Boolean(), nullable=False),
        sa.Column("strikes", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("line_id"),
    )


def downgrade() -> None:
    op.drop_table("mailboxes")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_updated_at"))
        batch_op.drop_index(batch_op.f("ix_calls_line_id"))
        batch_op.drop_index(batch_op.f("ix_calls_ended_at"))

    op.drop_table("calls")
    op.drop_table("lines")
