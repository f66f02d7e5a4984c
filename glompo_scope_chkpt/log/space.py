"""The log's file on its disk: space claimed before HDF5 writes, and the error of a failed write.

HDF5 does not survive a failed write. Measured with h5py 3.16 / HDF5 2.0 on a full tmpfs: the
failed flush had already written the datasets' new sizes but not their rows, so the file read
back rows of zeros (``call_id`` 0); later flushes (closing the file, or HDF5's own at exit)
wrote more of a state whose data never reached the disk ("addr overflow" on reading); and
reopening the file in the same process after a failed close crashed it. Hence:

* :class:`SpaceClaim` claims the disk space a batch may need (``posix_fallocate`` past the
  file's end) *before* HDF5 writes it: a full disk then fails there, with the file exactly as
  its last flush left it. HDF5 writes into the claimed blocks, which a full disk cannot take
  back (on file systems without ``fallocate`` the claim is skipped).
* A file whose write failed is closed without letting HDF5 write anything more
  (:meth:`.handle.LogFile.abandon`): HDF5's closing flush goes nowhere, the close succeeds, the
  lock is released, and the next opening undoes what the failed write had begun (:mod:`.undo`).
* The writer commits each batch in two flushes (rows first, then the counts of valid rows,
  see :mod:`.writer`), so rows a failed write added are never counted.
"""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .._disk import disk_errno, disk_error, format_bytes
from .._logging import get_logger
from ..errors import LogDiskError, LogFileError

if TYPE_CHECKING:
    from .handle import LogFile

__all__ = ["SpaceClaim", "chunks_bytes", "failed_write"]

logger = get_logger("glompo_scope_chkpt.log.writer")

SLACK = 256 * 1024
"""Bytes claimed beyond a batch's estimate, so most batches find their space already claimed."""
METADATA_BYTES = 64 * 1024
"""Bytes allowed per batch for HDF5's metadata (object headers, B-tree nodes, heaps)."""


def chunks_bytes(size: int, added: int, chunk_rows: int, itemsize: int) -> int:
    """Bytes of the chunks a dataset of ``size`` rows allocates to take ``added`` more rows."""
    if added <= 0:
        return 0
    chunks = math.ceil((size + added) / chunk_rows) - math.ceil(size / chunk_rows)
    return chunks * chunk_rows * itemsize


class SpaceClaim:
    """Disk space claimed past the end of an open HDF5 file, ahead of its writes.

    Parameters
    ----------
    handle
        The file, open for writing.
    """

    def __init__(self, handle: LogFile) -> None:
        self.path = handle.path
        self._fd = handle.backing.fd
        self._end = 0  # bytes [0, _end) of the file are allocated on the disk
        self._enabled = hasattr(os, "posix_fallocate")

    def claim(self, handle: LogFile, nbytes: int, undo_bytes: int = METADATA_BYTES) -> None:
        """Make sure ``nbytes`` (plus :data:`SLACK`) past HDF5's end of file are on the disk, and
        ``undo_bytes`` for the undo journal's records of the write (:mod:`.undo`).

        The first claim also fills any hole below the end (HDF5 leaves some).

        Raises
        ------
        LogDiskError
            If the disk cannot give the space; the file is as the last flush left it.
        """
        self._claim_file(handle, nbytes)
        if not self._enabled:
            return
        try:
            handle.backing.reserve(undo_bytes)
        except OSError as exc:
            if disk_errno(exc) is None:  # no fallocate for the journal: write unclaimed
                logger.debug("posix_fallocate unavailable for %s: %s", handle.backing.journal, exc)
                return
            what = "the HDF5 log's undo journal"
            detail = f"it needed {format_bytes(undo_bytes)}"
            raise disk_error(
                LogDiskError, what, handle.backing.journal, exc, detail=detail
            ) from exc

    def _claim_file(self, handle: LogFile, nbytes: int) -> None:
        want = handle.backing.data_end + nbytes
        if not self._enabled or want <= self._end:
            return
        size = os.fstat(self._fd).st_size
        for end in (want + SLACK, want):  # without the slack when the disk is nearly full
            try:
                os.posix_fallocate(self._fd, self._end, end - self._end)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, size)  # give back what a partial claim took
                if disk_errno(exc) is None:  # no fallocate on this file system: write unclaimed
                    logger.debug("posix_fallocate unavailable for %s: %s", self.path, exc)
                    self._enabled = False
                    return
                failure = exc
            else:
                self._end = end
                return
        detail = f"it needed {format_bytes(want - max(self._end, size))}"
        error = disk_error(LogDiskError, "the HDF5 log", self.path, failure, detail=detail)
        raise error from failure

    def settle(self) -> None:
        """Note what a write gave back: the claim is kept past HDF5's end, but a cut below the
        data's end (HDF5 freeing space at the end of the file) shortens the file."""
        with contextlib.suppress(OSError):
            self._end = min(self._end, os.fstat(self._fd).st_size)

    def release(self, handle: LogFile) -> None:
        """Give back the claimed space past HDF5's end of file (call after a flush)."""
        with contextlib.suppress(OSError, ValueError):
            handle.backing.trim()
        self._end = 0


def failed_write(path: Path, err: BaseException) -> LogFileError:
    """The one error of a log write that failed inside HDF5 (the log is then abandoned)."""
    if disk_errno(err) is not None:
        return disk_error(LogDiskError, "the HDF5 log", path, err)
    return LogFileError(
        f"Writing the log {path} failed ({err}); it was closed without writing more, so it "
        "holds what its last flush wrote. Resume the run from its last checkpoint."
    )
