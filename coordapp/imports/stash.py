"""Uploads kept between the dry run and the apply, and the progress of a running import: small
files in the app's instance folder (never the database), which any worker can read."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path

from flask import current_app

from coordapp.errors import NotFound

# --- uploads kept between the dry run and the apply (a file, never the database) -------------
#
# In the app's instance folder, not a shared /tmp: the folder is the app user's own (0700, its
# owner checked), each upload is 0600, and a ``<token>.owner`` file beside it names the user who
# uploaded it; another user naming that token gets a 404.

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
STASH_MAX_AGE_SECONDS = 6 * 3600
STASH_DIR_MODE = 0o700
STASH_FILE_MODE = 0o600


def stash_dir() -> Path:
    directory = Path(current_app.instance_path) / "import-stash"
    directory.mkdir(mode=STASH_DIR_MODE, parents=True, exist_ok=True)
    status = directory.stat()
    if status.st_uid != os.getuid():
        raise RuntimeError(f"{directory} belongs to another user; refusing to keep uploads there")
    if stat.S_IMODE(status.st_mode) != STASH_DIR_MODE:
        directory.chmod(STASH_DIR_MODE)
    return directory


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, STASH_FILE_MODE)
    os.fchmod(descriptor, STASH_FILE_MODE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def stash_upload(content: bytes, *, owner_id: int) -> str:
    """Keep an uploaded file until it is applied; returns the random token that names it."""
    directory = stash_dir()
    cutoff = time.time() - STASH_MAX_AGE_SECONDS
    for old in directory.iterdir():
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
    token = secrets.token_urlsafe(24)
    _write_private(directory / f"{token}.owner", str(owner_id).encode())
    _write_private(directory / token, content)
    return token


def _stash_owner(directory: Path, token: str) -> int | None:
    try:
        return int((directory / f"{token}.owner").read_text())
    except (OSError, ValueError):
        return None


def load_stash(token: str, *, owner_id: int) -> bytes | None:
    """The upload ``token`` names, if ``owner_id`` uploaded it; None when it is gone.

    Raises NotFound when the token names another user's upload."""
    if not _TOKEN.match(token or ""):
        return None
    directory = stash_dir()
    owner = _stash_owner(directory, token)
    if owner is None:
        return None
    if owner != owner_id:
        raise NotFound("No such upload.")
    try:
        return (directory / token).read_bytes()
    except OSError:
        return None


def drop_stash(token: str, *, owner_id: int) -> None:
    if not _TOKEN.match(token or ""):
        return
    directory = stash_dir()
    if _stash_owner(directory, token) == owner_id:
        for path in (directory / token, directory / f"{token}.owner"):
            with contextlib.suppress(OSError):
                path.unlink()


# --- progress of a running import (a small file beside the stash: any worker can read it) ----


def new_progress_id() -> str:
    return secrets.token_urlsafe(24)


def _progress_path(progress_id: str) -> Path | None:
    if not _TOKEN.match(progress_id or ""):
        return None
    return stash_dir() / f"{progress_id}.progress"


def progress_writer(progress_id: str) -> Callable[[int, int], None] | None:
    """A ``progress`` for ``run_import`` that records (rows processed, rows in all) where any
    worker can read it (``read_progress``)."""
    path = _progress_path(progress_id)
    if path is None:
        return None

    def write(done: int, total: int) -> None:
        with contextlib.suppress(OSError):
            _write_private(path, json.dumps({"done": done, "total": total}).encode())

    return write


def read_progress(progress_id: str) -> dict[str, int] | None:
    path = _progress_path(progress_id)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return {"done": int(data.get("done", 0)), "total": int(data.get("total", 0))}
