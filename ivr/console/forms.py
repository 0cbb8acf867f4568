"""The console's forms; each carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from store.advisers import MAX_PASSWORD_LENGTH, ROLES
from store.text import InvalidText, plain_text

# Backstop for any text field; each field's own Length is usually tighter.
MAX_TEXT = 1000


class Form(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no types
    """A console form whose every text field must be plain text (store/text.py)."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str):
                try:
                    plain_text(field.data, "It", max_length=MAX_TEXT)
                except InvalidText as error:
                    field.errors = [*field.errors, str(error)]
                    valid = False
        return bool(valid)


class SignInForm(Form):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class SecondFactorForm(Form):
    code = StringField(
        "6-digit code from your authenticator app",
        validators=[DataRequired(), Regexp(r"^\s*[0-9]{6}\s*$", message="Type the 6 digits.")],
    )


class NewPasswordForm(Form):
    current = PasswordField("Current password", validators=[Length(max=256)])
    password = PasswordField(
        "New password (at least 12 characters)",
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )


class SearchForm(Form):
    # A GET form: no CSRF needed to read, and the number stays in the address bar.
    class Meta:
        csrf = False

    number = StringField(
        "Line number or customer number", validators=[DataRequired(), Length(max=40)]
    )


class ResetForm(Form):
    reason = StringField(
        "Reason (required, kept in the audit log)",
        validators=[DataRequired(message="A reset needs a reason."), Length(max=500)],
    )
    override = BooleanField("No verified support call in the last two hours: reset anyway")


class PinCheckForm(Form):
    # Choices: the line's live support calls (ivr/console/pins_views.py); none is preselected.
    support_call = RadioField(
        "The support call you are on",
        validators=[DataRequired(message="Choose the support call you are on.")],
        validate_choice=True,
    )
    pin = PasswordField(
        "PIN the caller reads out",
        validators=[
            DataRequired(),
            Regexp(r"^\s*[0-9]{4,8}\s*$", message="A PIN has 4 to 8 digits."),
        ],
    )


class NewAdviserForm(Form):
    username = StringField("Username", validators=[DataRequired(), Length(min=2, max=64)])
    role = RadioField("Role", choices=[SelectChoice(role) for role in ROLES], default="adviser")
