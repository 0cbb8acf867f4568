"""The Flask application: webhooks, and later the console and API."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import load_dotenv
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ivr import (
    api,
    cli,
    console,
    database,
    deposit_steps,
    devplatform,
    limits,
    mail,
    media,
    mwi,
    notify,
    notify_doors,  # noqa: F401  (PUT .../notify)
    observability,
    platforms,
    steps,
    support_steps,
    transcription,
    voice,
)
from ivr.config import default_database_url, from_environment, parse_settings
from ivr.flows import FLOWS
from ivr.plainkeys import PlainKeys
from store.credentials import Hasher
from store.models import utcnow


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from `config`, or from the environment when None."""
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    if config is None:
        load_dotenv(override=False)
        settings = from_environment(Path(app.instance_path))
    else:
        settings = {**config, **parse_settings(config)}
    app.config.update(settings)
    app.config.setdefault("IVR_DEVELOPMENT", False)
    app.config.setdefault("IVR_CLOCK", utcnow)
    app.config["SECRET_KEY"] = settings["IVR_SECRET_KEY"]
    # Behind ivr/limits.py, Flask's own ceilings on what it will parse.
    app.config.update(
        MAX_CONTENT_LENGTH=limits.LARGEST, MAX_FORM_MEMORY_SIZE=limits.LARGEST, MAX_FORM_PARTS=100
    )
    if not app.config["IVR_DATABASE_URL"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["IVR_DATABASE_URL"] = default_database_url(Path(app.instance_path))
    app.extensions["ivr.hasher"] = Hasher(
        app.config["IVR_PIN_PEPPER"].encode(),
        app.config["IVR_BCRYPT_ROUNDS"],
        verifiers=app.config["IVR_VERIFIERS"],
    )
    platforms.init_app(app)
    database.init_app(app)
    steps.init_app(app, FLOWS)
    observability.init_app(app)
    app.register_blueprint(voice.bp)
    app.register_blueprint(deposit_steps.bp)
    app.register_blueprint(transcription.bp)
    app.register_blueprint(support_steps.bp)
    app.register_blueprint(api.bp)
    console.init_app(app)
    media.init_app(app)
    devplatform.init_app(app)
    mail.init_app(app)
    notify.init_app(app)
    mwi.init_app(app)
    cli.init_app(app)
    if app.config.get("IVR_PLAIN_KEYS", True):
        app.wsgi_app = PlainKeys(app, app.wsgi_app)  # type: ignore[method-assign]
    proxies = app.config["IVR_TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=proxies,
            x_proto=proxies,
            x_host=proxies,
            x_port=proxies,
            x_prefix=proxies,
        )
    # Outermost: a body over its area's limit never reaches the app (ivr/limits.py).
    app.wsgi_app = limits.BodyLimit(app.wsgi_app)  # type: ignore[method-assign]
    return app
