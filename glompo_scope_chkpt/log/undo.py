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

The header holds a CRC of the log's first 4 KiB as the write found them: a journal whose log was
replaced (a copy put in its place) does not match it, and is kept aside under another name, with
a warning, instead of being applied.

Journal layout: a header (magic, the log's size when the write began, the write's number, the
CRC of its front, CRC-32), then records of offset (8 bytes), length (4), CRC-32 (4, of both,
the data and the write's number) and the old bytes, at most 8 MiB each. A record torn by the
kill ends the journal: the overwrite it guards had not begun, since each overwrite waits for its
record. A completed write blanks the header; the next write's records overwrite the old ones,
which, of another write's number, can never pass for its own. The disk space of a write's records is
claimed with the log's (:meth:`JournaledFile.reserve`), so a full disk refuses the write before
HDF5 begins it.

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
import time
import warnings
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import h5py

from .._logging import get_logger
from .._run_files import undo_name

__all__ = ["JournaledFile", "journal_path", "open_restored", "restore"]

logger = get_logger(__name__)

_OPEN_HERE: set[tuple[int, int]] = set()
"""Device and inode of each log this process has open for writing."""

_MAGIC = b"GSCUNDO2"
_HEAD = struct.Struct("<8sQQI")  # magic, the log's end and front (CRC) before the write, number
_RECORD = struct.Struct("<QI")  # offset, length
_CRC = struct.Struct("<I")
_PIECE = 8 << 20
"""Most old bytes one record holds (a large cut is saved in pieces)."""
_FRONT = 4096
"""Bytes at the start of the log (superblock, root group) whose CRC ties a journal to its log."""


def journal_path(log: Path) -> Path:
    """The undo journal of the log ``log``."""
    return log.with_name(undo_name(log))


def _crc(head: bytes, data: bytes, number: int) -> int:
    return zlib.crc32(data, zlib.crc32(head, number & 0xFFFFFFFF))


def _header(end: int, number: int, front: int) -> bytes:
    head = _HEAD.pack(_MAGIC, end, number, front)
    return head + _CRC.pack(_crc(head, b"", 0))


def _front(fd: int, end: int, records: Sequence[tuple[int, bytes]] = ()) -> int:
    """CRC of the log's first bytes (below ``end``) as they are with ``records`` undone."""
    data = bytearray(min(_FRONT, end))
    _RestoredView(fd, end, records).readinto(data)
    return zlib.crc32(data)


def _record(offset: int, old: bytes, number: int) -> bytes:
    head = _RECORD.pack(offset, len(old))
    return head + _CRC.pack(_crc(head, old, number)) + old


Journal = tuple[int, int, list[tuple[int, bytes]]]
"""The log's end and front CRC before the write, and the old bytes of each record, in order."""


def _read_journal(journal: Path) -> Journal | None:
    """What ``journal`` holds; None: nothing to undo."""
    try:
        data = journal.read_bytes()
    except FileNotFoundError:
        return None
    size = _HEAD.size + _CRC.size
    if len(data) < size:
        return None  # empty, or a header the kill cut: nothing was overwritten yet
    magic, end, number, front = _HEAD.unpack_from(data)
    if magic != _MAGIC or _CRC.unpack_from(data, _HEAD.size)[0] != _crc(data[: _HEAD.size], b"", 0):
        return None  # blanked by a completed write, or not a journal
    records, pos = [], size
    while pos + _RECORD.size + _CRC.size <= len(data):
        head = data[pos : pos + _RECORD.size]
        offset, length = _RECORD.unpack(head)
        (crc,) = _CRC.unpack_from(data, pos + _RECORD.size)
        start = pos + _RECORD.size + _CRC.size
        old = data[start : start + length]
        if len(old) < length or crc != _crc(head, old, number):
            break  # torn by the kill (its overwrite had not begun), or another write's
        records.append((offset, old))
        pos = start + length
    return end, front, records


def _belongs(fd: int, found: Journal) -> bool:
    """Whether the journal ``found`` was written for the log ``fd`` (not for one it replaced)."""
    end, front, records = found
    return _front(fd, end, records) == front


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
    """:func:`restore` on the locked descriptor ``fd`` of the log.

    A journal of another log (the log was replaced, a copy put in its place) is kept aside under
    a new name, with a warning, and nothing is undone.
    """
    found = _read_journal(journal)
    if found is None:
        journal.unlink(missing_ok=True)
        return False
    if not _belongs(fd, found):
        aside = journal.with_name(f"{journal.name}.other-{time.strftime('%Y%m%dT%H%M%S')}")
        journal.rename(aside)
        warnings.warn(
            f"The undo journal {journal} is not of the log beside it (was the log replaced?); "
            f"nothing was undone and it was kept as {aside}.",
            stacklevel=4,
        )
        return False
    end, _, records = found
    for offset, old in reversed(records):
        os.pwrite(fd, old, offset)
    os.ftruncate(fd, end)
    os.fsync(fd)
    journal.unlink()
    return True


class _RestoredView(io.RawIOBase):
    """The log behind ``fd`` read as :func:`restore` would leave it, without writing anything."""

    def __init__(self, fd: int, end: int, records: Sequence[tuple[int, bytes]]) -> None:
        super().__init__()
        self._fd, self._end, self._records, self._pos = fd, end, records[::-1], 0

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


@contextlib.contextmanager
def open_restored(log: Path) -> Iterator[h5py.File]:
    """Open ``log`` read-only as it is, or as :func:`restore` would leave it.

    The log is locked for reading first, as HDF5 does (refused while another process writes
    it), unless this process writes it: its last completed write is read then.

    Raises
    ------
    OSError
        If it is locked by a writer, or HDF5 cannot open it.
    """
    fd = os.open(log, os.O_RDONLY | os.O_CLOEXEC)
    try:
        stat = os.fstat(fd)
        if (stat.st_dev, stat.st_ino) not in _OPEN_HERE:
            _lock(fd, fcntl.LOCK_SH)
        found = _read_journal(journal_path(log))
        if found is None or not _belongs(fd, found):
            with h5py.File(log, "r", locking=False) as f:  # ``fd`` holds the lock
                yield f
        else:
            with _RestoredView(fd, found[0], found[2]) as view, h5py.File(view, "r") as f:
                yield f
    finally:
        os.close(fd)


class JournaledFile(io.RawIOBase):
    """The log file open for writing, as HDF5 sees it: overwrites are journaled first.

    Opening restores a write cut short (:func:`restore`) and locks the file (``flock``, as
    HDF5 does: a reader opening it with h5py's default locking fails while the run writes).
    Disk space claimed past HDF5's end (:class:`.space.SpaceClaim`) is kept until
    :meth:`trim`, although HDF5 asks at every flush for the file to end where its data ends.

    Parameters
    ----------
    log
        The log file.

    Raises
    ------
    BlockingIOError
        If another process holds the file open (a reader's lock), or this one writes it.
    """

    def __init__(self, log: Path) -> None:
        super().__init__()
        self.path, self.journal = log, journal_path(log)
        self.fd = _open_locked(log)
        try:
            stat = os.fstat(self.fd)
            self._identity = (stat.st_dev, stat.st_ino)
            if self._identity in _OPEN_HERE:  # unlocked (HDF5_USE_FILE_LOCKING=FALSE)
                raise BlockingIOError(errno.EWOULDBLOCK, f"{log} is open for writing already")
            _restore(self.fd, self.journal)
        except OSError:
            os.close(self.fd)
            raise
        _OPEN_HERE.add(self._identity)
        self._journal_fd: int | None = None
        self._journal_size = 0  # bytes of this write's header and records
        self._reserved = 0  # bytes of the journal claimed on its disk
        self._number = int.from_bytes(os.urandom(8), "little")  # the write's number
        self._end = os.fstat(self.fd).st_size  # where the last completed write left the log
        self._hdf5_end: int | None = None  # where HDF5 last asked the file to end
        self._keep_claim = False
        self._pos = 0
        self._sink = False

    # -------------------------------------------------------------------- for this package
    def commit(self) -> None:
        """A write completed (HDF5 flushed): its undo records are no longer needed."""
        if self._journal_size:
            os.pwrite(self._journal(), bytes(_HEAD.size + _CRC.size), 0)  # blank the header
            self._journal_size = 0
            self._number += 1
        size = os.fstat(self.fd).st_size
        self._end = size if self._hdf5_end is None else min(size, self._hdf5_end)
        self._hdf5_end = None

    def reserve(self, nbytes: int) -> None:
        """Claim disk space for ``nbytes`` of undo records and keep space claimed past HDF5's end.

        Raises
        ------
        OSError
            If the disk cannot give it (nothing was written).
        """
        self._keep_claim = True
        want = self._journal_size + nbytes
        if want > self._reserved and hasattr(os, "posix_fallocate"):
            os.posix_fallocate(self._journal(), 0, want)
            self._reserved = want

    def trim(self) -> None:
        """Give back the space claimed past the log's end (after a completed write)."""
        self._keep_claim = False
        if not self._sink and os.fstat(self.fd).st_size > self._end:
            os.ftruncate(self.fd, self._end)

    @property
    def data_end(self) -> int:
        """Where the last completed write left the log's data (the claimed space lies past it)."""
        return self._end

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
            self._sink = True  # a late call of HDF5 must not reach a reused descriptor
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
        self._check_open()
        if whence == io.SEEK_END:
            offset += os.fstat(self.fd).st_size
        elif whence == io.SEEK_CUR:
            offset += self._pos
        self._pos = offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: Any) -> int:
        self._check_open()
        view = memoryview(buffer).cast("B")
        done = os.preadv(self.fd, [view], self._pos)
        self._pos += done
        return done

    def write(self, data: Any) -> int:
        self._check_open()
        view = memoryview(data).cast("B")
        if not self._sink:
            if self._hdf5_end is not None:  # data written past where HDF5 asked the file to end
                self._hdf5_end = max(self._hdf5_end, self._pos + len(view))
            self._save(self._pos, self._pos + len(view))
            written = 0
            while written < len(view):
                written += os.pwrite(self.fd, view[written:], self._pos + written)
        self._pos += len(view)
        return len(view)

    def truncate(self, size: int | None = None) -> int:
        self._check_open()
        size = self._pos if size is None else size
        if self._sink:
            return size
        self._hdf5_end = size
        if self._keep_claim and size >= self._end and size <= os.fstat(self.fd).st_size:
            return size  # the claimed space stays until trim()
        self._save(size, self._end)  # bytes the cut would lose
        os.ftruncate(self.fd, size)
        return size

    def flush(self) -> None:
        pass

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError(f"I/O on the closed log {self.path}")

    def _save(self, start: int, stop: int) -> None:
        """Journal the old bytes of ``[start, stop)`` below the last completed write's end."""
        if not self._journal_size:
            front = _front(self.fd, self._end)  # before this write changes anything
            self._append(_header(self._end, self._number, front))
        for piece in range(start, min(stop, self._end), _PIECE):
            old = os.pread(self.fd, min(_PIECE, self._end - piece, stop - piece), piece)
            self._append(_record(piece, old, self._number))

    def _append(self, data: bytes) -> None:
        """Write ``data`` after this write's records; a failure leaves them as they were."""
        fd, view, done = self._journal(), memoryview(data), 0
        while done < len(view):
            done += os.pwrite(fd, view[done:], self._journal_size + done)
        self._journal_size += len(view)

    def _journal(self) -> int:
        if self._journal_fd is None:
            flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
            self._journal_fd = os.open(self.journal, flags, 0o644)
        return self._journal_fd
