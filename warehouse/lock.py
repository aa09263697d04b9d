"""Who may write a warehouse file, and what to say when someone else holds it.

Two locks guard the file. DuckDB's own lock excludes every other process while one writes (even
a reader): a connection refused by it waits a little, then fails with one French line
(`WarehouseBusyError`). Above it, the *night lock* makes a whole night (CLI `run`, `rebuild`,
`demo`, Dagster runs) exclusive: DuckDB's lock is taken and dropped step by step, so two nights
would otherwise interleave their steps, publish twice or swap in each other's candidate.

The night lock is `fcntl.flock` on `<warehouse>.nuit.lock`, which records who holds it for the
refusal message. The kernel releases a flock when its process dies, however it dies: a night
killed with SIGKILL leaves the file behind but not the lock, and the next night takes it over
without guessing from a pid whether its holder still lives. The file is never deleted: a night
deleting it while another opens it would let two nights lock two different files.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import duckdb

NIGHT_LOCK_SUFFIX = ".nuit.lock"

# How long a night waits for a process holding the warehouse file (an analyst's query) before
# failing.
LOCK_WAIT_SECONDS = 30.0
_FIRST_DELAY, _MAX_DELAY = 0.1, 5.0

_T = TypeVar("_T")


class NightAlreadyRunningError(RuntimeError):
    """Another night holds the warehouse; the message is the French refusal."""


class WarehouseBusyError(duckdb.IOException):
    """Another process holds DuckDB's lock on the file; the message is one French line. A
    DuckDB error still, for the callers that already handle those (the steward commands)."""


def night_lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + NIGHT_LOCK_SUFFIX)


# lock file -> (descriptor, depth): the CLI takes the lock, then the Dagster run it starts in
# the same process takes it again (flock would refuse a second descriptor of one process).
_held: dict[Path, tuple[int, int]] = {}
_held_guard = threading.Lock()


@contextmanager
def night_lock(warehouse: Path) -> Iterator[None]:
    """Hold the night lock of `warehouse` for the block; refuse at once if another night has it."""
    acquire_night_lock(warehouse)
    try:
        yield
    finally:
        release_night_lock(warehouse)


def acquire_night_lock(warehouse: Path) -> None:
    path = _absolute(night_lock_path(warehouse))
    with _held_guard:
        if path in _held:
            descriptor, depth = _held[path]
            _held[path] = (descriptor, depth + 1)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Not following a link: the lock file is ours, beside the warehouse.
        descriptor = os.open(
            path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, mode=0o600
        )
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 4096, 0)
            os.close(descriptor)
            raise NightAlreadyRunningError(_refusal(holder, path)) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, _holder_record(), 0)
        _held[path] = (descriptor, 1)


def release_night_lock(warehouse: Path) -> None:
    path = _absolute(night_lock_path(warehouse))
    with _held_guard:
        descriptor, depth = _held[path]
        if depth > 1:
            _held[path] = (descriptor, depth - 1)
            return
        del _held[path]
        # Emptied first: a file read while nobody holds the lock names no one.
        os.ftruncate(descriptor, 0)
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def _absolute(path: Path) -> Path:
    # The same lock whatever way the warehouse was named (relative, through a link).
    return path.parent.resolve() / path.name


def _holder_record() -> bytes:
    return json.dumps(
        {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now().isoformat(timespec="seconds"),
        }
    ).encode()


def _refusal(holder: bytes, path: Path) -> str:
    try:
        record = json.loads(holder)
        started = datetime.fromisoformat(record["started"])
        since = (
            f" depuis le {started:%d/%m/%Y} à {started:%H:%M:%S} "
            f"(pid {int(record['pid'])}, hôte {record['host']})"
        )
    except (ValueError, KeyError, TypeError):
        # The holder has the lock but has not written its name yet.
        since = f" (verrou {path})"
    return f"Une nuit est déjà en cours sur cet entrepôt{since} : réessayer après sa fin."


def is_lock_conflict(error: BaseException) -> bool:
    return isinstance(error, duckdb.IOException) and "Could not set lock" in str(error)


def busy_message(path: Path, error: BaseException, waited: float) -> str:
    holder = re.search(r"PID (\d+)", str(error))
    who = f"le processus {holder.group(1)}" if holder else "un autre processus"
    return (
        f"Le fichier {path} est ouvert par {who} (attendu {waited:.0f} s) : fermer cette "
        "connexion (les analystes lisent la copie publiée, pas l'entrepôt de la nuit), "
        "puis relancer."
    )


def waiting_for_file(path: Path, open_file: Callable[[], _T], wait: float | None = None) -> _T:
    """`open_file()`, retried with a growing delay while another process holds DuckDB's lock on
    `path`, for at most `wait` seconds (default `LOCK_WAIT_SECONDS`); then `WarehouseBusyError`."""
    budget = LOCK_WAIT_SECONDS if wait is None else wait
    started = time.monotonic()
    delay = _FIRST_DELAY
    while True:
        try:
            return open_file()
        except duckdb.IOException as error:
            if not is_lock_conflict(error):
                raise
            waited = time.monotonic() - started
            if waited >= budget:
                raise WarehouseBusyError(busy_message(path, error, waited)) from error
            time.sleep(min(delay, budget - waited))
            delay = min(delay * 2, _MAX_DELAY)
