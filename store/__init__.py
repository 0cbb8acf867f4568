"""Mailbox state: SQLAlchemy models, the queries, and the operations that must be atomic.

Nothing here imports Flask or menus/: every door (phone, console, API, CLI,
worker) calls the same functions with a SQLAlchemy session, and every query
a door needs is a function here.

Transactions end here, never in a door (docs/architecture.md):

- A store operation that is a whole unit of work is marked `@commits`
  (store/db.py): it commits before it returns, and rolls back before it
  raises, so a refusal leaves nothing pending. A door calls one such
  operation per unit of work; work that must be atomic across tables is one
  operation (`pins.send_temporary_pin` issues the PIN and queues its e-mail).
- A call's step is the one unit of work made of several store calls: the
  step's hold (store/calls.py) commits the call's new state with what the
  step's functions changed. Those functions say "part of the caller's
  transaction" and do not commit.
- Some operations commit early what must be durable before the work goes
  on, and say so: a strike or a throttle attempt before bcrypt runs, a job
  or outbox claim before the work it claims.
"""
