from ivr import create_app
from ivr.config import ConfigError

try:
    app = create_app()
except ConfigError as error:  # a setting missing or wrong: one line for gunicorn and flask
    raise SystemExit(f"Error: {error}") from None
