"""Supervisors manage advisers: create, disable or enable, reset a password or the TOTP."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ivr.console import adviser, bp, supervisor_only
from ivr.console.forms import NewAdviserForm
from ivr.database import db
from ivr.doors import actor, hasher, now
from store import advisers
from store.models import Adviser


def _page(
    form: NewAdviserForm | None = None, shown: dict[str, str] | None = None, status: int = 200
) -> tuple[str, int]:
    """The accounts, the creation form, and a one-time password when one was just made."""
    page = render_template(
        "console/advisers.html",
        advisers=advisers.all_advisers(db()),
        form=form or NewAdviserForm(formdata=None),
        shown=shown,
    )
    return page, status


@bp.get("/advisers")
@supervisor_only
def adviser_list() -> tuple[str, int]:
    return _page()


@bp.post("/advisers")
@supervisor_only
def create_adviser() -> tuple[str, int]:
    """A new account; its one-time password is shown in this answer only."""
    form, store = NewAdviserForm(), db()
    if not form.validate_on_submit():
        return _page(form, status=400)
    try:
        account, password = advisers.create_adviser(
            store,
            hasher(),
            form.username.data or "",
            form.role.data or "adviser",
            actor=actor(),
            now=now(),
        )
    except advisers.AccountError as error:
        flash(f"Not created: {error}.", "error")
        return _page(form, status=400)
    return _page(shown={"username": account.username, "password": password})


def _account(adviser_id: int) -> Adviser:
    account = advisers.get_adviser(db(), adviser_id)
    if account is None:
        abort(404)
    return account


def _not_self(account: Adviser) -> bool:
    if account.id == adviser().id:
        flash("You cannot do this to your own account; ask another supervisor.", "error")
        return False
    return True


@bp.post("/advisers/<int:adviser_id>/disable")
@supervisor_only
def disable_adviser(adviser_id: int) -> Response:
    """Disable an account; its sessions end at once."""
    account = _account(adviser_id)
    if _not_self(account):
        advisers.set_disabled(db(), account, True, actor=actor(), now=now())
        flash(f"{account.username} is disabled and signed out.", "success")
    return redirect(url_for("console.adviser_list"))


@bp.post("/advisers/<int:adviser_id>/enable")
@supervisor_only
def enable_adviser(adviser_id: int) -> Response:
    account = _account(adviser_id)
    advisers.set_disabled(db(), account, False, actor=actor(), now=now())
    flash(f"{account.username} can sign in again.", "success")
    return redirect(url_for("console.adviser_list"))


@bp.post("/advisers/<int:adviser_id>/reset-password")
@supervisor_only
def reset_adviser_password(adviser_id: int) -> tuple[str, int] | Response:
    """A new one-time password, shown once; the adviser is signed out."""
    account = _account(adviser_id)
    if not _not_self(account):
        return redirect(url_for("console.adviser_list"))
    password = advisers.reset_password(db(), hasher(), account, actor=actor(), now=now())
    return _page(shown={"username": account.username, "password": password})


@bp.post("/advisers/<int:adviser_id>/reset-totp")
@supervisor_only
def reset_adviser_totp(adviser_id: int) -> Response:
    """The adviser enrols a new authenticator at the next sign-in."""
    account = _account(adviser_id)
    if _not_self(account):
        advisers.reset_totp(db(), account, actor=actor(), now=now())
        flash(f"{account.username} will set up a new authenticator at the next sign-in.", "success")
    return redirect(url_for("console.adviser_list"))
