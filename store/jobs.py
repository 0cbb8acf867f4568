"""Background jobs: queued in the transaction that needs them, claimed under a lease.

A job is one row per (kind, ref). A worker claims it in one statement
(`UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING` on
PostgreSQL; the same UPDATE is atomic under SQLite's write lock), runs it
without holding any lock, and completes it only if it still holds the claim
and nobody queued it again meanwhile. A worker that dies leaves its claim to
expire (`claimed_until`), and another takes the job again: jobs are written
to be safe to run twice, never to be lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.db import commits
from store.models import Job

# Kinds of job (handlers: ivr/copies.py, ivr/mwi.py).
FETCH_MESSAGE = "fetch_message"
FETCH_GREETING = "fetch_greeting"
DELETE_COPY = "delete_copy"
DELETE_PLATFORM = "delete_platform"
NOTIFY_MESSAGE = "notify_message"

BACKOFF_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 3600.0
# A job that failed this many times in a row is shown as failing (console, /metrics).
FAILING_ATTEMPTS = 5


@dataclass(frozen=True)
class Claimed:
    """A job one worker holds: what to do, and the generation it saw."""

    id: int
    kind: str
    ref: str
    generation: int
    attempts: int
    token: str


def enqueue(session: Session, kind: str, ref: str, now: datetime, *, again: bool = False) -> None:
    """Queue (kind, ref) in the caller's transaction; the caller commits.

    Queued again while pending it stays one job; with `again`, a job already
    done or being run is run once more (with the state of that moment).
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(Job).values(
        kind=kind, ref=ref, generation=0, attempts=0, run_after=now, created_at=now
    )
    if again:
        statement = insert.on_conflict_do_update(
            index_elements=["kind", "ref"],
            set_={
                "generation": Job.generation + 1,
                "done_at": None,
                "run_after": now,
                "attempts": 0,
                "last_error": None,
            },
        )
    else:
        statement = insert.on_conflict_do_nothing(index_elements=["kind", "ref"])
    session.connection().execute(statement)  # Core: safe inside a flush event too


def claim(
    session: Session,
    token: str,
    now: datetime,
    lease: timedelta,
    kinds: tuple[str, ...] | None = None,
) -> Claimed | None:
    """Take the next job that is due and unclaimed (or whose claim expired); committed."""
    due = select(Job.id).where(
        Job.done_at.is_(None),
        Job.run_after <= now,
        or_(Job.claimed_until.is_(None), Job.claimed_until < now),
    )
    if kinds:
        due = due.where(Job.kind.in_(kinds))
    if session.scalar(due.limit(1)) is None:
        session.rollback()
        return None  # idle workers only read: no write lock taken on SQLite
    due = due.order_by(Job.run_after, Job.id).limit(1).with_for_update(skip_locked=True)
    row = session.execute(
        update(Job)
        .where(Job.id == due.scalar_subquery())
        .values(claimed_by=token, claimed_until=now + lease, attempts=Job.attempts + 1)
        .returning(Job.id, Job.kind, Job.ref, Job.generation, Job.attempts),
        execution_options={"synchronize_session": False},
    ).first()
    session.commit()
    if row is None:
        return None
    return Claimed(row.id, row.kind, row.ref, row.generation, row.attempts, token)


def _held(job: Claimed):  # type: ignore[no-untyped-def]
    return and_(Job.id == job.id, Job.claimed_by == job.token)


@commits
def complete(session: Session, job: Claimed, now: datetime) -> bool:
    """Mark done, if still ours and not queued again; else release it to run again.

    Committed with whatever the job wrote, so the job is done exactly when
    its effects are.
    """
    done = session.execute(
        update(Job)
        .where(_held(job), Job.generation == job.generation)
        .values(done_at=now, claimed_by=None, claimed_until=None, last_error=None),
        execution_options={"synchronize_session": False},
    )
    if getattr(done, "rowcount", 0) == 1:
        return True
    session.execute(
        update(Job).where(_held(job)).values(claimed_by=None, claimed_until=None),
        execution_options={"synchronize_session": False},
    )
    return False


def retry_later(session: Session, job: Claimed, now: datetime, error: str) -> datetime:
    """A failure worth retrying: back off exponentially (capped); committed.

    What the failed run wrote is thrown away first.
    """
    session.rollback()
    delay = min(BACKOFF_SECONDS * 2 ** max(job.attempts - 1, 0), BACKOFF_CAP_SECONDS)
    when = now + timedelta(seconds=delay)
    session.execute(
        update(Job)
        .where(_held(job))
        .values(claimed_by=None, claimed_until=None, run_after=when, last_error=error[:200]),
        execution_options={"synchronize_session": False},
    )
    session.commit()
    return when


def give_up(session: Session, job: Claimed, now: datetime, error: str) -> None:
    """A failure no retry can mend (the recording is gone): done, with the reason; committed.

    What the failed run wrote is thrown away first.
    """
    session.rollback()
    session.execute(
        update(Job)
        .where(_held(job))
        .values(claimed_by=None, claimed_until=None, done_at=now, last_error=error[:200]),
        execution_options={"synchronize_session": False},
    )
    session.commit()


def backlog(session: Session) -> dict[str, tuple[int, int]]:
    """Per kind: (jobs pending, of which failing FAILING_ATTEMPTS times or more)."""
    rows = session.execute(
        select(Job.kind, func.count(), func.count().filter(Job.attempts >= FAILING_ATTEMPTS))
        .where(Job.done_at.is_(None))
        .group_by(Job.kind)
    ).all()
    return {kind: (int(pending), int(failing)) for kind, pending, failing in rows}


def failing(session: Session, limit: int = 20) -> list[Job]:
    """Jobs still pending after FAILING_ATTEMPTS tries, oldest first."""
    return list(
        session.scalars(
            select(Job)
            .where(Job.done_at.is_(None), Job.attempts >= FAILING_ATTEMPTS)
            .order_by(Job.created_at)
            .limit(limit)
        )
    )


def pending_count(session: Session, kind: str | None = None) -> int:
    """Jobs not yet done (of one kind)."""
    query = select(func.count()).select_from(Job).where(Job.done_at.is_(None))
    if kind:
        query = query.where(Job.kind == kind)
    return int(session.scalar(query) or 0)
