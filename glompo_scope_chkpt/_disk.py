"""Telling a failed write apart when the disk caused it, and saying where that disk is.

A write that fails because its disk is full (``ENOSPC``), over quota (``EDQUOT``), read-only
(``EROFS``) or failing (``EIO``) becomes one :class:`~glompo_scope_chkpt.errors.DiskWriteError`
naming the file, the disk (mount point, device, file system) and the space free there, so the
user knows what to free. The cause is found in the exception or its chain, in h5py's messages
(``errno = 28``) and in ffmpeg's stderr (``No space left on device``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from .errors import DiskWriteError

__all__ = [
    "DISK_ERRNOS",
    "describe_disk",
    "disk_errno",
    "disk_error",
    "format_bytes",
    "naming_disk",
]

DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EFBIG)
"""The errors of a disk rather than of a program: full, over quota, read-only, failing, too big."""

_ERRNO_IN_TEXT = re.compile(r"errno\s*=\s*(\d+)")

E = TypeVar("E", bound=DiskWriteError)


def _errno_in_text(text: str) -> int | None:
    match = _ERRNO_IN_TEXT.search(text)
    if match and int(match.group(1)) in DISK_ERRNOS:
        return int(match.group(1))
    lowered = text.lower()
    for code in DISK_ERRNOS:
        if os.strerror(code).lower() in lowered:
            return code
    return None


def disk_errno(exc: BaseException | str | None) -> int | None:
    """Return the disk error (an ``errno`` of :data:`DISK_ERRNOS`) behind ``exc``, or ``None``.

    ``exc`` may be an exception (its ``errno``, message and chain of causes are searched) or a
    text such as ffmpeg's stderr.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, str):
            return _errno_in_text(exc)
        seen.add(id(exc))
        code = getattr(exc, "errno", None)
        if code in DISK_ERRNOS:
            return int(code)
        found = _errno_in_text(str(exc))
        if found is not None:
            return found
        exc = exc.__cause__ or exc.__context__
    return None


def format_bytes(size: float) -> str:
    """``size`` bytes in binary units, e.g. ``0 B``, ``12.5 KiB``, ``3.0 GiB``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"  # pragma: no cover - the loop always returns


def _existing(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _unescape(field: str) -> str:
    """Undo the octal escapes of ``/proc/self/mounts`` (``\\040`` is a space)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _mount_of(path: Path) -> tuple[str, str, str]:
    """Return (mount point, device, file system type) of the disk holding ``path``."""
    real = os.path.realpath(path)
    best = ("/", "unknown device", "unknown type")
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) < 3:
                    continue
                device, point, fstype = _unescape(fields[0]), _unescape(fields[1]), fields[2]
                inside = real == point or real.startswith(point.rstrip("/") + "/")
                if inside and len(point) >= len(best[0]):
                    best = (point, device, fstype)
    except OSError:  # not Linux: name the folder itself
        return (str(path), "unknown device", "unknown type")
    return best


def describe_disk(path: str | os.PathLike[str]) -> str:
    """Describe the disk holding ``path``: mount point, device, type, free and total space."""
    where = _existing(Path(path))
    point, device, fstype = _mount_of(where)
    try:
        usage = shutil.disk_usage(where)
        space = f"{format_bytes(usage.free)} free of {format_bytes(usage.total)}"
    except OSError as exc:
        space = f"free space unknown ({exc.strerror or exc})"
    return f"disk {point} (device {device}, {fstype}): {space}"


def disk_error(
    kind: type[E],
    what: str,
    path: str | os.PathLike[str],
    cause: BaseException | str,
    then: str = "then resume the run from its last checkpoint",
    detail: str = "",
) -> E:
    """Build the one error of a write refused by the disk.

    Parameters
    ----------
    kind
        The :class:`DiskWriteError` subclass to build.
    what
        What was being written, e.g. ``"the HDF5 log"``.
    path
        The file being written.
    cause
        The failure (its disk error is named) or a text holding it (ffmpeg's stderr).
    then
        What to do once space is free.
    detail
        More about the failure, shown after the reason (e.g. what ffmpeg said).
    """
    code = disk_errno(cause)
    reason = os.strerror(code) if code is not None else str(cause)
    if detail:
        reason += f" ({detail})"
    return kind(
        f"Writing {what} {path} failed: {reason}. On the {describe_disk(path)}. Free space "
        f"there (or fix the disk), {then}."
    )


@contextlib.contextmanager
def naming_disk(
    kind: type[DiskWriteError],
    what: str,
    path: str | os.PathLike[str],
    then: str = "then resume the run from its last checkpoint",
) -> Iterator[None]:
    """Turn an :class:`OSError` of the disk raised in the block into :func:`disk_error`'s error.

    Other errors, and :class:`DiskWriteError` s already naming their disk, pass unchanged.
    """
    try:
        yield
    except DiskWriteError:
        raise
    except OSError as exc:
        if disk_errno(exc) is None:
            raise
        raise disk_error(kind, what, path, exc, then) from exc
