"""The log's undo journal: a write cut short by a kill is undone when the log is next opened.

HDF5 rewrites its metadata (object headers, B-tree nodes, heaps) in place, so a process killed
while HDF5 writes can leave the log unreadable: 4 of 210 SIGKILLs of a process doing nothing but
writes to a log did (a torn link index, a truncated file). The log is therefore written through
:class:`JournaledFile`, the file object HDF5 reads and writes through (h5py's ``fileobj``
driver). Before HDF5 overwrites bytes below the end the last completed write left, their old
content is appended to the undo journal beside the log (``glompo_log.h5.undo``); bytes past that
end need no copy, cutting the file there removes them. When a write completes (HDF5's flush
returned), :meth:`JournaledFile.commit` empties the journal.

A journal that holds records thus means a write was cut short. :func:`restore` writes the old
bytes back, the last record first, and cuts the file to the old end: the log is then exactly as
its last completed write left it. Restoring again writes the same old bytes, so a kill during a
restore is harmless too. The package's readers see the restored log without writing it
(:func:`open_restored`), so loading a checkpoint changes nothing on disk.

Journal layout: a header (magic, the log's size when the write began, CRC-32), then records of
offset (8 bytes), length (4), CRC-32 (4, of the three and the data) and the old bytes. A record
torn by the kill ends the journal: the overwrite it guards had not begun, since each overwrite
waits for its record.

The journal guards against a killed process (SIGKILL, the OOM killer, preemption), not against
the machine failing in the middle of a write: records are not ``fsync``-ed one by one. A
checkpoint ``fsync``-s the log before it counts, as before.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py

from .._logging import get_logger
from .._run_files import undo_name

__all__ = ["JournaledFile", "journal_path", "open_restored", "restore"]

logger = get_logger(__name__)

_OPEN_HERE: set[tuple[int, int]] = set()
"""Device and inode of each log this process has open for writing."""

_MAGIC = b"GSCUNDO1"
_HEADER = struct.Struct("<8sQI")
_RECORD = struct.Struct("<QII")


def journal_path(log: Path) -> Path:
    """The undo journal of the log ``log``."""
    return log.with_name(undo_name(log))


def _checked(payload: bytes, data: bytes = b"") -> int:
    return zlib.crc32(data, zlib.crc32(payload))


def _header(end: int) -> bytes:
    head = _MAGIC + end.to_bytes(8, "little")
    return _HEADER.pack(_MAGIC, end, _checked(head))


def _record(offset: int, old: bytes) -> bytes:
    head = offset.to_bytes(8, "little") + len(old).to_bytes(4, "little")
    return _RECORD.pack(offset, len(old), _checked(head, old)) + old


def _read_journal(journal: Path) -> tuple[int, list[tuple[int, bytes]]] | None:
    """The log's old end and the old bytes of each record, in order; None: nothing to undo."""
    try:
        data = journal.read_bytes()
    except FileNotFoundError:
        return None
    if len(data) < _HEADER.size:
        return None  # empty, or a header the kill cut: nothing was overwritten yet
    magic, end, crc = _HEADER.unpack_from(data)
    if magic != _MAGIC or crc != _checked(magic + end.to_bytes(8, "little")):
        return None
    records, pos = [], _HEADER.size
    while pos + _RECORD.size <= len(data):
        offset, length, crc = _RECORD.unpack_from(data, pos)
        start = pos + _RECORD.size
        old = data[start : start + length]
        head = offset.to_bytes(8, "little") + length.to_bytes(4, "little")
        if len(old) < length or crc != _checked(head, old):
            break  # torn by the kill: its overwrite had not begun
        records.append((offset, old))
        pos = start + length
    return end, records


def restore(log: Path) -> bool:
    """Undo a write to ``log`` that was cut short; return whether there was one.

    Raises
    ------
    BlockingIOError
        If another process holds the log open.
    OSError
        If the log cannot be written back (the journal is then kept for the next try).
    """
    fd = _open_locked(log)
    try:
        return _restore(fd, journal_path(log))
    finally:
        os.close(fd)


def _open_locked(log: Path) -> int:
    """Open ``log`` read-write with an exclusive ``flock`` (as HDF5 locks a file it writes)."""
    fd = os.open(log, os.O_RDWR | os.O_CLOEXEC)
    try:
        _lock(fd, fcntl.LOCK_EX)
    except OSError:
        os.close(fd)
        raise
    return fd


def _lock(fd: int, kind: int) -> None:
    """``flock`` the file ``fd`` as HDF5 does, and where HDF5 would not, do not.

    ``HDF5_USE_FILE_LOCKING=FALSE`` (set on clusters whose file systems do not lock) turns it
    off, and a file system that refuses locks altogether is written unlocked, as HDF5 does.

    Raises
    ------
    BlockingIOError
        If another process holds a conflicting lock.
    """
    if os.environ.get("HDF5_USE_FILE_LOCKING", "").strip().upper() == "FALSE":
        return
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP):
            raise
        logger.debug("No file locks on this file system (%s): the log is not locked", exc)


def _restore(fd: int, journal: Path) -> bool:
    """:func:`restore` on the locked descriptor ``fd`` of the log."""
    found = _read_journal(journal)
    if found is None:
        journal.unlink(missing_ok=True)
        return False
    end, records = found
    for offset, old in reversed(records):
        os.pwrite(fd, old, offset)
    os.ftruncate(fd, end)
    os.fsync(fd)
    journal.unlink()
    return True


class _RestoredView(io.RawIOBase):
    """The log read as :func:`restore` would leave it, without writing anything."""

    def __init__(self, log: Path, end: int, records: list[tuple[int, bytes]], lock: bool) -> None:
        super().__init__()
        self._fd = os.open(log, os.O_RDONLY | os.O_CLOEXEC)
        try:
            if lock:  # as HDF5 locks a file it reads: refused while another process writes
                _lock(self._fd, fcntl.LOCK_SH)
        except OSError:
            os.close(self._fd)
            raise
        self._end, self._records, self._pos = end, records[::-1], 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._end}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        stop = min(self._pos + len(view), self._end)
        if stop <= self._pos:
            return 0
        size = stop - self._pos
        data = bytearray(os.pread(self._fd, size, self._pos).ljust(size, b"\0"))
        for offset, old in self._records:  # the earliest record of a byte is applied last
            lo, hi = max(offset, self._pos), min(offset + len(old), stop)
            if lo < hi:
                data[lo - self._pos : hi - self._pos] = old[lo - offset : hi - offset]
        view[:size] = data
        self._pos = stop
        return size

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


@contextlib.contextmanager
def open_restored(log: Path) -> Iterator[h5py.File]:
    """Open ``log`` read-only as it is, or as :func:`restore` would leave it.

    Raises
    ------
    OSError
        If HDF5 cannot open it.
    """
    stat = os.stat(log)
    # the run's own log: this process holds its lock, and its last completed write is read
    mine = (stat.st_dev, stat.st_ino) in _OPEN_HERE
    found = _read_journal(journal_path(log))
    if found is None:
        with h5py.File(log, "r", locking=False if mine else None) as f:
            yield f
        return
    with _RestoredView(log, *found, lock=not mine) as view, h5py.File(view, "r") as f:
        yield f


class JournaledFile(io.RawIOBase):
    """The log file open for writing, as HDF5 sees it: overwrites are journaled first.

    Opening restores a write cut short (:func:`restore`) and locks the file (``flock``, as
    HDF5 does: a reader opening it with h5py's default locking fails while the run writes).

    Parameters
    ----------
    log
        The log file.

    Raises
    ------
    BlockingIOError
        If another process holds the file open (a reader's lock).
    """

    def __init__(self, log: Path) -> None:
        super().__init__()
        self.path, self.journal = log, journal_path(log)
        self.fd = _open_locked(log)
        try:
            _restore(self.fd, self.journal)
        except OSError:
            os.close(self.fd)
            raise
        stat = os.fstat(self.fd)
        self._identity = (stat.st_dev, stat.st_ino)
        _OPEN_HERE.add(self._identity)
        self._journal_fd: int | None = None
        self._end = os.fstat(self.fd).st_size  # what the last completed write left
        self._open_write = False  # whether the journal holds this write's header
        self._pos = 0
        self._sink = False

    # -------------------------------------------------------------------- for this package
    def commit(self) -> None:
        """A write completed (HDF5 flushed): its undo records are no longer needed."""
        if self._open_write and self._journal_fd is not None:
            os.ftruncate(self._journal_fd, 0)
        self._open_write = False
        self._end = os.fstat(self.fd).st_size

    def abandon(self) -> None:
        """Let nothing more reach the file: HDF5's closing writes go nowhere.

        The journal is kept, so the next opening undoes the write that failed.
        """
        self._sink = True

    @property
    def abandoned(self) -> bool:
        """Whether :meth:`abandon` was called."""
        return self._sink

    def close(self) -> None:
        if not self.closed:
            if self._journal_fd is not None:
                os.close(self._journal_fd)
            os.close(self.fd)  # releases the lock
            _OPEN_HERE.discard(self._identity)
        super().close()

    # -------------------------------------------------------------------- for HDF5 (fileobj)
    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_END:
            offset += os.fstat(self.fd).st_size
        elif whence == io.SEEK_CUR:
            offset += self._pos
        self._pos = offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        done = os.preadv(self.fd, [view], self._pos)
        self._pos += done
        return done

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        if not self._sink:
            self._save(self._pos, self._pos + len(view))
            written = 0
            while written < len(view):
                written += os.pwrite(self.fd, view[written:], self._pos + written)
        self._pos += len(view)
        return len(view)

    def truncate(self, size: int | None = None) -> int:
        size = self._pos if size is None else size
        if not self._sink:
            self._save(size, self._end)  # bytes the cut would lose
            os.ftruncate(self.fd, size)
        return size

    def flush(self) -> None:
        pass

    def _save(self, start: int, stop: int) -> None:
        """Journal the old bytes of ``[start, stop)`` below the last completed write's end."""
        stop = min(stop, self._end)
        if start >= stop:
            if not self._open_write:
                self._append(_header(self._end))
            return
        old = os.pread(self.fd, stop - start, start)
        head = b"" if self._open_write else _header(self._end)
        self._append(head + _record(start, old))

    def _append(self, data: bytes) -> None:
        if self._journal_fd is None:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
            self._journal_fd = os.open(self.journal, flags, 0o644)
        view = memoryview(data)
        while view:
            view = view[os.write(self._journal_fd, view) :]
        self._open_write = True
