"""Console sign-in: throttle rows keyed by HMAC with a generation; one sign-in waits for TOTP.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = sa.text("stage = 'totp' AND ended_at IS NULL")


def upgrade() -> None:
    # Counters of at most fifteen minutes' worth: starting afresh loses nothing.
    op.drop_table("console_login_throttle")
    op.create_table(
        "console_login_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total_failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(
        "ix_console_login_throttle_updated_at", "console_login_throttle", ["updated_at"]
    )
    # Half-finished sign-ins end (they last five minutes at most anyway).
    op.execute(
        "UPDATE console_sessions SET ended_at = CURRENT_TIMESTAMP "
        "WHERE stage = 'totp' AND ended_at IS NULL"
    )
    op.create_index(
        "uq_console_sessions_waiting",
        "console_sessions",
        ["adviser_id"],
        unique=True,
        sqlite_where=WAITING,
        postgresql_where=WAITING,
    )


def downgrade() -> None:
    op.drop_index("uq_console_sessions_waiting", table_name="console_sessions")
    op.drop_index("ix_console_login_throttle_updated_at", table_name="console_login_throttle")
    op.drop_table("console_login_throttle")
    op.create_table(
        "console_login_throttle",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username"),
    )
