"""gunicorn defaults for `gunicorn wsgi:app`; override any with GUNICORN_CMD_ARGS or flags."""

import multiprocessing
import os

bind = os.environ.get("IVR_BIND", "127.0.0.1:8000")
# Code checks spend their time in bcrypt, which releases the GIL: a few
# threads per process keep menu steps moving while a code is being checked.
workers = int(os.environ.get("IVR_WORKERS", min(2 * multiprocessing.cpu_count(), 8)))
worker_class = "gthread"
threads = int(os.environ.get("IVR_THREADS", 4))
# The platform gives up on a webhook after 15 s; never hold a request longer.
timeout = 15
graceful_timeout = 10
keepalive = 5
# Request bodies are small forms; refuse anything absurd early.
limit_request_line = 4094
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
