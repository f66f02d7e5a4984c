"""Durable file writes: temporary name, fsync, rename.

A file written through these helpers is either absent or complete under its final name; a process
killed half way leaves at most a temporary file beside it (named as :mod:`._tempfiles` says, and
removed by a later run), never a torn file under the real name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ._tempfiles import TMP_MARK, temp_prefix

__all__ = ["TMP_MARK", "atomic_write_bytes", "atomic_write_text", "atomic_path", "fsync_dir"]


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Flush a directory entry to disk so a rename inside it survives a power loss."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory descriptors
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on directories
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; on success fsync it and rename it into place.

    The caller writes the temporary file (by any means, e.g. ffmpeg or h5py). If the body raises,
    the temporary file is removed and ``final`` is untouched.

    Parameters
    ----------
    final
        The path the finished file must have.

    Yields
    ------
    Path
        A not yet existing path in the same directory as ``final``.
    """
    final = Path(final)
    fd, tmp_name = tempfile.mkstemp(prefix=temp_prefix(final.name), dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, final)
        fsync_dir(final.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and durably; return the final path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically and durably; return the final path."""
    return atomic_write_bytes(path, text.encode("utf-8"))
