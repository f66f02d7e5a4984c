"""The log open for writing: an ``h5py.File`` written through its undo journal.

Every write to the log goes through :class:`LogFile`, so a process killed in the middle of one
leaves a log that its next opening restores (:mod:`.undo`). A completed :meth:`LogFile.flush`
empties the journal; :meth:`LogFile.abandon` closes a log whose write failed without letting
HDF5 write anything more, and keeps the journal, so the failed write is undone too.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import h5py

from ..errors import LogFileError
from .format import LIBVER
from .undo import JournaledFile

__all__ = ["LogFile", "open_for_writing"]


class LogFile(h5py.File):
    """An HDF5 log open for writing (read-write, locked, journaled).

    Parameters
    ----------
    path
        The log file; a write to it that was cut short is undone first.

    Attributes
    ----------
    path : Path
        The log file.
    backing : JournaledFile
        The file object HDF5 reads and writes through.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.backing = JournaledFile(self.path)
        try:
            super().__init__(self.backing, "r+", libver=LIBVER)
        except BaseException:
            self.backing.close()
            raise

    def flush(self) -> None:
        """Write what HDF5 holds to the file; the write is then complete (no undo needed)."""
        super().flush()
        self.backing.commit()

    def sync(self) -> None:
        """``fsync`` the file (after :meth:`flush`).

        Raises
        ------
        OSError
            If the disk refuses it (an I/O error).
        """
        os.fsync(self.backing.fd)

    def close(self) -> None:
        """Flush and close; the journal goes with a completed close."""
        if self.backing.closed:
            return
        try:
            super().close()
            if not self.backing.abandoned:
                self.backing.commit()
                self.backing.journal.unlink(missing_ok=True)
        finally:
            self.backing.close()

    def abandon(self) -> None:
        """Close without HDF5 writing anything more; the next opening undoes the failed write."""
        self.backing.abandon()
        with contextlib.suppress(Exception):
            self.close()


def open_for_writing(path: Path) -> LogFile:
    """Open an existing log read-write, undoing a write a kill cut short.

    Raises
    ------
    LogFileError
        If it cannot be opened (damaged, or locked by a reader).
    """
    try:
        return LogFile(path)
    except OSError as err:
        raise LogFileError(
            f"The log {path} cannot be opened for writing ({err}); close any program reading it."
        ) from err
