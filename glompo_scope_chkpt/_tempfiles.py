"""Temporary files and folders: one name pattern, and the removal of dead processes' leftovers.

Every temporary file or folder this package makes is named::

    .<base>.tmp-glompo-<host>-<pid>-<random>

``base`` says what it is for (the final name of a file written atomically, ``load``, ...),
``host`` is this machine's short host name, ``pid`` the creating process. A process killed
while it holds one (a SIGKILL, a node failure) leaves it behind; :func:`remove_leftovers`, run
when a session starts and by ``stitch-movies``, removes such leftovers and nothing else:

- only entries whose whole name has the pattern above (a user's ``notes.tmp`` is never touched,
  nor a temporary name of an earlier version, which carried no process id);
- made on this host: only when no process with that pid is alive. A pid reused by another
  process only delays the removal, it never removes a file in use (containers that share a
  folder but not their process ids must have distinct host names, as they do by default);
- made on another host sharing the folder (a requeued job on another node, a network file
  system): only when older than :data:`STALE_AFTER`, as that host's processes cannot be seen.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import NamedTuple

from ._logging import get_logger

__all__ = [
    "STALE_AFTER",
    "TMP_MARK",
    "TempOwner",
    "is_leftover",
    "reading_scratch",
    "remove_leftovers",
    "scratch_dir",
    "temp_owner",
    "temp_prefix",
]

logger = get_logger(__name__)

TMP_MARK = ".tmp-glompo-"
"""Infix of every temporary name; what follows is ``<host>-<pid>-<random>``."""
STALE_AFTER = 24 * 3600.0
"""Seconds after which a temporary name made on another host counts as a leftover."""

_PATTERN = re.compile(
    rf"\.(?P<base>.+){re.escape(TMP_MARK)}(?P<host>[A-Za-z0-9_-]+)-(?P<pid>\d{{1,10}})-[A-Za-z0-9_]+"
)


class TempOwner(NamedTuple):
    """The process that made a temporary name: its host and its process id."""

    host: str
    pid: int


@cache
def _host() -> str:
    """This machine's short host name, with only the characters a temporary name may hold."""
    short = socket.gethostname().split(".")[0]
    return re.sub(r"[^A-Za-z0-9_-]", "_", short) or "host"


def temp_prefix(base: str) -> str:
    """Start of a temporary name for ``base`` made by this process; a random ending follows.

    Pass it as ``prefix`` to :func:`tempfile.mkstemp` or :class:`tempfile.TemporaryDirectory`.
    """
    return f".{base}{TMP_MARK}{_host()}-{os.getpid()}-"


def temp_owner(name: str) -> TempOwner | None:
    """The host and pid in ``name``, or ``None`` if it is not a temporary name of this package."""
    match = _PATTERN.fullmatch(name)
    if match is None or not 0 < int(match["pid"]) < 2**31:
        return None
    return TempOwner(match["host"], int(match["pid"]))


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this host (one of another user's counts).

    A zombie does not run: a killed process stays one until its parent (or, orphaned, the init
    process, which may be slow) reaps it, and its files are leftovers already.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Whether ``pid`` is a zombie (Linux ``/proc``; elsewhere: never known to be one)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].startswith("Z")


def is_leftover(path: Path, now: float | None = None) -> bool:
    """Whether ``path`` is a temporary file or folder of this package whose process has ended.

    ``now`` (default: the current time) dates the names made on another host.
    """
    owner = temp_owner(path.name)
    if owner is None:
        return False
    if owner.host == _host():
        return not _alive(owner.pid)
    try:
        return (time.time() if now is None else now) - path.lstat().st_mtime > STALE_AFTER
    except OSError:  # gone meanwhile
        return False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def remove_leftovers(folders: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Remove the temporary files and folders that ended processes left in ``folders``.

    Only the entries directly in each folder are looked at; a folder that does not exist or
    cannot be read is skipped, and so is an entry that cannot be removed. One INFO line lists
    what was removed.

    Returns
    -------
    list[Path]
        What was removed.
    """
    removed, now = [], time.time()
    for folder in dict.fromkeys(Path(f) for f in folders):
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for path in entries:
            try:
                if is_leftover(path, now):
                    _remove(path)
                    removed.append(path)
            except OSError as exc:
                logger.debug("Could not remove the leftover %s: %s", path, exc)
    if removed:
        logger.info(
            "Removed %d leftover temporary file(s) of ended processes: %s",
            len(removed),
            ", ".join(map(str, removed)),
        )
    return removed


@contextlib.contextmanager
def scratch_dir(folder: str | os.PathLike[str], base: str) -> Iterator[Path]:
    """Yield a new empty folder in ``folder``, named for ``base``; remove it with its contents.

    Raises
    ------
    OSError
        If the folder cannot be created.
    """
    with tempfile.TemporaryDirectory(
        prefix=temp_prefix(base), dir=folder, ignore_cleanup_errors=True
    ) as name:
        yield Path(name)


@contextlib.contextmanager
def reading_scratch(source: Path) -> Iterator[Path]:
    """Yield a scratch folder for what is extracted from ``source`` (a file or a folder).

    It is made beside ``source``'s files, so the system's temporary folder is left alone; only
    when that folder cannot take it (read-only, missing) is it made in the system's temporary
    folder, after removing the leftovers there.

    Yields
    ------
    Path
        An empty folder, removed with its contents when the block ends.
    """
    folder = source if source.is_dir() else source.parent
    with contextlib.ExitStack() as stack:
        try:
            path = stack.enter_context(scratch_dir(folder, "load"))
        except OSError:
            elsewhere = tempfile.gettempdir()
            remove_leftovers([elsewhere])
            path = stack.enter_context(scratch_dir(elsewhere, "load"))
        yield path
