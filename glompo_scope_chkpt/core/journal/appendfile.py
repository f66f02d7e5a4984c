"""One append-only history file: buffered appends, a running SHA-256, settled when opened.

The object knows the file's content up to :attr:`AppendFile.size` by its hash, whether or not the
file is open. Opening it in a folder *settles* the file found there to that content:

* a file whose first ``size`` bytes are that content (known, or checked by hashing it) keeps
  them; whatever follows (records after the checkpoint resumed from, a record torn by a kill) is
  first copied to ``<stem>.aside-<label><suffix>`` (a header naming the byte they started at,
  then those records; written atomically), then cut off;
* any other file (another run's, a shorter or altered one) is renamed aside whole, and the
  content is written anew from the run's memory.

Nothing is ever deleted, and a kill at any moment leaves a state the next opening settles: the
aside copy is complete or absent, and the cut only follows it (a repeated copy gets ``.1``...).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from ..._fileio import atomic_path, fsync_dir
from ..._run_files import history_aside_name

__all__ = ["AppendFile"]

_WRITE_AT = 1 << 20
"""Buffered bytes that are written out at once while the file is open; while it is not (it
could not be opened), more are dropped, and the next opening writes the file anew from memory."""
_BLOCK = 1 << 20


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a == b or os.path.samefile(a, b)
    except OSError:
        return False


def _hash_prefix(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        left = size
        while left:
            block = handle.read(min(_BLOCK, left))
            if not block:
                break
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


def _free_aside(path: Path, label: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", label) or "checkpoint"
    target, copy = path.with_name(history_aside_name(path.name, safe)), 1
    while target.exists():
        target, copy = path.with_name(history_aside_name(path.name, safe, copy)), copy + 1
    return target


class AppendFile:
    """One history file, known by its content's size and running hash.

    Parameters
    ----------
    name
        The file's name (in whatever folder it is opened).
    header
        Its first line, written when the file is written anew.
    aside_header
        The first line of an aside file holding the records from a given byte on.
    size, digest
        What is known of its content: that many bytes, hashed so far (a ``hashlib`` object);
        ``0`` and ``None`` for a file not yet written.
    trusted
        A path whose first ``size`` bytes are known to be that content (checked at load).
    """

    def __init__(
        self,
        name: str,
        header: bytes,
        aside_header: Callable[[int], bytes],
        size: int = 0,
        digest: hashlib._Hash | None = None,
        trusted: Path | None = None,
    ) -> None:
        self.name, self.header, self.aside_header = name, header, aside_header
        self.size = size
        self._digest = digest if digest is not None else hashlib.sha256()
        self._trusted = trusted
        self._buffer = bytearray()
        self._dropped = False
        self._handle: BinaryIO | None = None
        self.path: Path | None = None

    @property
    def is_open(self) -> bool:
        """Whether the file is open for appending."""
        return self._handle is not None

    def append(self, data: bytes) -> None:
        """Append ``data`` (buffered; written out once the buffer is large)."""
        self._buffer += data
        if len(self._buffer) >= _WRITE_AT:
            if self._handle is not None:
                self._write()
            else:
                self._buffer.clear()
                self._dropped = True

    def _write(self) -> None:
        if self._buffer and self._handle is not None:
            self._handle.write(self._buffer)
            self._digest.update(self._buffer)
            self.size += len(self._buffer)
            self._buffer.clear()

    def sync(self) -> str:
        """Write out the buffer, make the file durable, return the SHA-256 of its content.

        Raises
        ------
        OSError
            If the file cannot be written or flushed.
        RuntimeError
            If the file is not open.
        """
        if self._handle is None:
            raise RuntimeError(f"History file {self.name} is not open.")
        self._write()
        self._handle.flush()
        os.fsync(self._handle.fileno())
        return self._digest.hexdigest()

    def prefix(self) -> bytes:
        """The file's content up to :attr:`size` (call after :meth:`sync`)."""
        assert self.path is not None
        with open(self.path, "rb") as handle:
            return handle.read(self.size)

    def close(self) -> None:
        """Write out the buffer, make the file durable and close it (idempotent)."""
        if self._handle is not None:
            try:
                self.sync()
            finally:
                self._handle.close()
                self._handle = None

    def open(self, folder: Path, label: str, content: Callable[[], Iterable[bytes]]) -> None:
        """Open the file in ``folder`` for appending, settled to the known content.

        Parameters
        ----------
        folder
            Where the file is (or is created).
        label
            Names the aside file (the checkpoint resumed from).
        content
            Yields the whole content after the header (including what is buffered), from the
            run's memory; used when the file must be written anew.

        Raises
        ------
        OSError
            If the file cannot be settled or opened.
        """
        path = folder / self.name
        if self._handle is not None and self.path == path:
            return
        self.close()
        on_disk = path.stat().st_size if path.exists() else None
        if on_disk is not None and self._holds_prefix(path, on_disk):
            if on_disk > self.size:
                self._move_tail_aside(path, label)
        else:
            if on_disk is not None:
                os.replace(path, _free_aside(path, label))
            self._write_anew(path, content())
        self._handle = open(path, "ab")  # noqa: SIM115 - open until close(), across calls
        self.path = self._trusted = path

    def _holds_prefix(self, path: Path, on_disk: int) -> bool:
        if self._dropped or self.size == 0 or on_disk < self.size:
            return False
        if self._trusted is not None and _same_file(self._trusted, path):
            return True
        return _hash_prefix(path, self.size) == self._digest.hexdigest()

    def _move_tail_aside(self, path: Path, label: str) -> None:
        """Copy what follows the content to an aside file atomically, then cut it off."""
        aside = _free_aside(path, label)
        with atomic_path(aside) as tmp, open(tmp, "wb") as out, open(path, "rb") as src:
            out.write(self.aside_header(self.size))
            src.seek(self.size)
            while block := src.read(_BLOCK):
                out.write(block)
        with open(path, "rb+") as handle:
            handle.truncate(self.size)
            os.fsync(handle.fileno())

    def _write_anew(self, path: Path, content: Iterable[bytes]) -> None:
        digest, size = hashlib.sha256(self.header), len(self.header)
        with atomic_path(path) as tmp, open(tmp, "wb") as out:
            out.write(self.header)
            for block in content:
                out.write(block)
                digest.update(block)
                size += len(block)
        fsync_dir(path.parent)
        self._digest, self.size = digest, size
        self._buffer.clear()
        self._dropped = False
