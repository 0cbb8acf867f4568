"""Mailbox state: SQLAlchemy models and the operations that must be atomic.

Nothing here imports Flask: every door (phone, console, API, CLI) calls the
same functions with a SQLAlchemy session.
"""
