"""Gunicorn settings for production (`make serve`), read from the environment.

Run as ``gunicorn -c python:coordapp.gunicorn_conf coordapp.wsgi:app``. Migrations and the
reference seed run once before this (``flask release``), never in a worker.

=====================  ==========================  ============================================
variable               default                     meaning
=====================  ==========================  ============================================
``BIND``               ``$HOST:$PORT``             full bind address (overrides HOST and PORT)
``HOST`` / ``PORT``    ``127.0.0.1`` / ``8000``    where to listen (put a TLS proxy in front)
``WORKERS``            CPUs (at least 2, at most 8) worker processes
``THREADS``            ``4``                       threads per worker (gthread)
``TIMEOUT``            ``60``                      seconds before a stuck worker is replaced
``MAX_REQUESTS``       ``1000``                    requests before a worker is replaced (0: never)
``MAX_REQUESTS_JITTER`` ``100``                    random extra, so workers are not replaced at once
``FORWARDED_ALLOW_IPS`` (none)                     proxies trusted for X-Forwarded-* headers
``LOG_LEVEL``          ``info``                    gunicorn's and coordapp's log level
=====================  ==========================  ============================================
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from typing import Any


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("BIND") or (
    f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"
)
# Building figures is CPU work in Python: one process per core, threads for the waits (database,
# Redis, slow clients). On 2 cores, 2 workers × 4 threads served twice the requests per second of
# 4 × 2 in bench/load.py (bench/README.md).
workers = _int("WORKERS", max(2, min(multiprocessing.cpu_count(), 8)))
# Threads also let one worker serve the several parallel callback POSTs a Dash page sends.
worker_class = "gthread"
threads = _int("THREADS", 4)
timeout = _int("TIMEOUT", 60)
graceful_timeout = 30
# A Python process never hands freed memory back to the system: one large import or export leaves
# a worker at its peak for good. Replacing each worker after a number of requests (staggered by
# the jitter so they never all restart together) brings it back to its starting size.
max_requests = _int("MAX_REQUESTS", 1000)
max_requests_jitter = _int("MAX_REQUESTS_JITTER", 100)
keepalive = 5
# The app reads the same setting (coordapp.proxy): trust no proxy unless told which.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
# No gunicornc control socket in $HOME (unused; two servers on one host would share its path).
control_socket_disable = True
# Each worker imports the app itself: no database connection or Redis pool crosses a fork.
preload_app = False

# coordapp logs one JSON line per request itself (with its request id); gunicorn's own access
# log would repeat it without the id. Gunicorn's error log goes to stderr as JSON too.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "coordapp.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        },
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        "gunicorn.error": {
            "level": loglevel.upper(),
            "handlers": ["error_console"],
            "propagate": False,
        },
    },
}


def post_worker_init(worker: Any) -> None:
    """Once the worker has loaded the app: keep the collector off what was loaded.

    The app, Dash, Plotly and pandas leave a few hundred thousand long-lived objects, and every
    full collection walked them all again: a pause of 90-150 ms once every few dozen requests,
    whatever the page (bench/README.md, the lists). Frozen, they are never walked; a full
    collection looks only at what requests leave behind. Set once when the worker starts, never
    changed while it serves.
    """
    gc.collect()
    gc.freeze()
