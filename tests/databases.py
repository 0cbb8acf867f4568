"""Fresh migrated databases for tests, on SQLite or on a PostgreSQL server.

The suite runs on SQLite unless `IVR_TEST_DATABASE_URL` names a PostgreSQL
server (`postgresql+psycopg://user@host:port/postgres`, see scripts/test-postgres).
Either way the migrations run once per session into a template: SQLite files
are copied from it; PostgreSQL databases are created `TEMPLATE` it, which is
fast and the only clean slate there is, since the audit log refuses TRUNCATE
and DELETE.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from store.migrate import upgrade

TEST_DATABASE_URL = os.environ.get("IVR_TEST_DATABASE_URL", "")
ON_POSTGRESQL = TEST_DATABASE_URL.startswith("postgresql")

requires_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs IVR_TEST_DATABASE_URL=postgresql+psycopg://... (scripts/test-postgres)",
)


class Databases:
    """Makes and drops the databases of one test session."""

    def __init__(self, directory: Path, server_url: str = TEST_DATABASE_URL) -> None:
        self.directory = directory
        self.server_url = server_url
        self.names = (f"ivr_{os.getpid()}_{n}" for n in itertools.count())
        self.admin: Engine | None = None
        self.template = f"ivr_{os.getpid()}_template"
        if server_url.startswith("postgresql"):
            self.admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
            self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
            upgrade(self.create(migrated=False, name=self.template))
        else:
            upgrade(self._sqlite_url(self.template))

    def create(self, migrated: bool = True, name: str | None = None) -> str:
        """A new database's URL: migrated to head, or empty."""
        name = name or next(self.names)
        if self.admin is None:
            url = self._sqlite_url(name)
            if migrated:
                shutil.copyfile(
                    self.directory / f"{self.template}.sqlite3", self.directory / f"{name}.sqlite3"
                )
            return url
        template = f' TEMPLATE "{self.template}"' if migrated else ""
        self._execute(f'CREATE DATABASE "{name}"{template}')
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Forget a database made by `create`, closing whatever still uses it."""
        name = make_url(url).database or ""
        if self.admin is not None:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{name}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        if self.admin is not None:
            self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
            self.admin.dispose()

    def _sqlite_url(self, name: str) -> str:
        return f"sqlite:///{self.directory / f'{name}.sqlite3'}"

    def _execute(self, statement: str) -> None:
        assert self.admin is not None
        with self.admin.connect() as connection:
            connection.execute(text(statement))
