"""The migrations run both ways on the engine under test (SQLite, or PostgreSQL)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from store.db import make_engine
from store.migrate import alembic_config, upgrade
from store.models import Base
from tests.databases import ON_POSTGRESQL


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_the_suite_runs_on_the_engine_it_was_given(database_url):
    assert database_url.startswith("postgresql+psycopg://" if ON_POSTGRESQL else "sqlite:///")


def test_upgrade_downgrade_and_upgrade_again(databases):
    url = databases.create(migrated=False)
    try:
        upgrade(url)
        assert tables(url) == set(Base.metadata.tables)
        command.downgrade(alembic_config(url), "base")
        assert tables(url) == set()
        upgrade(url)
        assert tables(url) == set(Base.metadata.tables)
    finally:
        databases.drop(url)
