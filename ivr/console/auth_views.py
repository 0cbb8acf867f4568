"""Signing in to the console: password, then TOTP (enrolled at first), then a new password.

Each stage is a server-side session under a new token. Every check at
either factor is counted against the username typed (known or not, so
accounts cannot be probed) before it runs: five failures lock it for fifteen
minutes, during which nothing is checked (store/signin.py). Failures and
locks of real accounts, and every sign-in, are written to the audit log;
the rules are in docs/security.md, "Console sign-in".
"""

from __future__ import annotations

import segno
from flask import flash, redirect, render_template, session, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from ivr.console import adviser, bp, console_session, start_stage
from ivr.console.forms import NewPasswordForm, SecondFactorForm, SignInForm
from ivr.database import db
from ivr.doors import hasher, now
from ivr.observability import note
from store import advisers, signin


def _locked_message() -> str:
    return (
        "Too many failed sign-ins for this username: it is locked for "
        f"{signin.LOCK_DURATION.seconds // 60} minutes. Ask a supervisor if you need help now."
    )


def _key(username: str) -> str:
    return signin.throttle_key(hasher().pepper, username)


def _refused(form: SignInForm) -> tuple[str, int]:
    """Locked: nothing was checked. Not audited one by one (docs/security.md)."""
    note(signin="locked")
    flash(_locked_message(), "error")
    return render_template("console/login.html", form=form), 429


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | tuple[str, int] | Response:
    """Username and password: the attempt is counted before the hash is checked."""
    form = SignInForm()
    if not form.validate_on_submit():
        return render_template("console/login.html", form=form)
    store, moment = db(), now()
    username = advisers.normalise_username(form.username.data or "")
    attempt = signin.take_attempt(store, _key(username), moment)
    if attempt is None:
        return _refused(form)
    account = advisers.find_adviser(store, username)
    right = advisers.password_matches(hasher(), account, form.password.data or "")
    if account is None or not right or account.disabled_at is not None:
        known = account.username if account is not None else None
        locked = signin.record_failure(store, known, attempt, moment, step="password")
        flash(_locked_message() if locked else "Wrong username or password.", "error")
        return render_template("console/login.html", form=form), 401
    start_stage(signin.password_passed(store, attempt, account, moment))
    return redirect(url_for("console.second_factor"))


def _qr_svg(uri: str) -> Markup:
    """The enrolment QR code as inline SVG (made here, no outside service)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")
    return Markup(svg)  # paths only: no text of the URI goes into the SVG


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor() -> str | Response:
    """The TOTP code; at the first sign-in, enrol the authenticator first."""
    form, store, account = SecondFactorForm(), db(), adviser()
    enrolling = not account.totp_confirmed
    if enrolling:
        advisers.pending_totp_secret(store, account)
    if form.validate_on_submit():
        attempt = signin.take_attempt(store, _key(account.username), now())
        if attempt is not None and advisers.check_totp(
            store, account, (form.code.data or "").strip(), now()
        ):
            start_stage(
                signin.second_factor_passed(
                    store, attempt, console_session(), enrolled=enrolling, now=now()
                )
            )
            if account.must_change_password:
                return redirect(url_for("console.new_password"))
            return redirect(url_for("console.home"))
        if attempt is None or signin.record_failure(
            store, account.username, attempt, now(), step="totp"
        ):
            signin.end_session(store, console_session(), now())
            session.clear()
            flash(_locked_message(), "error")
            return redirect(url_for("console.login"))
        flash("That code is not right. Type the code your app shows now.", "error")
    enrolment = None
    if enrolling:
        uri = advisers.totp_uri(account)
        enrolment = {"qr": _qr_svg(uri), "secret": account.totp_secret}
    return render_template("console/second_factor.html", form=form, enrolment=enrolment)


@bp.route("/password", methods=["GET", "POST"])
def new_password() -> str | Response:
    """Choose a new password: required after a one-time password, optional later."""
    form, store, account = NewPasswordForm(), db(), adviser()
    forced = console_session().stage == signin.NEW_PASSWORD
    if form.validate_on_submit():
        current = form.current.data or ""
        if not forced and not advisers.password_matches(hasher(), account, current):
            flash("The current password is not right.", "error")
        else:
            try:
                advisers.change_password(
                    store, hasher(), account, form.password.data or "", now=now()
                )
            except advisers.AccountError as error:
                flash(f"Not saved: {error}.", "error")
            else:
                if forced:
                    start_stage(signin.new_password_chosen(store, console_session(), now()))
                    return redirect(url_for("console.home"))
                flash("Your new password is saved.", "success")
                return redirect(url_for("console.home"))
    return render_template("console/new_password.html", form=form, forced=forced)


@bp.post("/logout")
def logout() -> Response:
    """Sign out: the session ends on the server, not just in the browser."""
    signin.sign_out(db(), console_session(), now())
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("console.login"))
