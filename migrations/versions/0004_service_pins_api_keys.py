"""Service PINs of each line (support line) and hashed API keys.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-23 02:28:25.688713
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "service_pins",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("permanent_hash", sa.String(length=60), nullable=True),
        sa.Column("permanent_set_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("temporary_hash", sa.String(length=60), nullable=True),
        sa.Column("temporary_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("line_id"),
    )
    # Lines provisioned before this revision get their (empty) PIN row now;
    # later ones get it on first use.
    op.execute("INSERT INTO service_pins (line_id, failures) SELECT id, 0 FROM lines")


def downgrade() -> None:
    op.drop_table("service_pins")
    op.drop_table("api_keys")
