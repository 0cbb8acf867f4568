"""The append-only audit log, and support-call outcomes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:23:04.278753
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("line_number", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_line_number"), ["line_number"], unique=False)

    op.create_table(
        "support_calls",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("verified_by", sa.String(length=16), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("sid"),
    )
    with op.batch_alter_table("support_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_calls_line_id"), ["line_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_support_calls_started_at"), ["started_at"], unique=False
        )

    _append_only()


APPEND_ONLY_SQLITE = """
CREATE TRIGGER audit_log_no_{verb} BEFORE {verb} ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
"""

APPEND_ONLY_POSTGRESQL_FUNCTION = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$
"""

APPEND_ONLY_POSTGRESQL_TRIGGER = """
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
"""


def _append_only() -> None:
    """Make the database itself refuse to change or delete audit entries."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(APPEND_ONLY_SQLITE.format(verb="UPDATE"))
        op.execute(APPEND_ONLY_SQLITE.format(verb="DELETE"))
    elif dialect == "postgresql":
        op.execute(APPEND_ONLY_POSTGRESQL_FUNCTION)
        op.execute(APPEND_ONLY_POSTGRESQL_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    with op.batch_alter_table("support_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_calls_started_at"))
        batch_op.drop_index(batch_op.f("ix_support_calls_line_id"))

    op.drop_table("support_calls")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_line_number"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))

    op.drop_table("audit_log")
