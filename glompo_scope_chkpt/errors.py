"""Every error the package raises, and the warning of a setting that has no effect here.

Each message says what went wrong, which file it concerns, and what to do about it. Errors that
are also a built-in kind of error inherit from it too (``XValueError(ValueError, GloMPOError)``)
so callers may catch either.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "GloMPOError",
    "InvalidSettingError",
    "InvalidSettingTypeError",
    "CheckpointError",
    "CheckpointLoadError",
    "TaskNotAvailableError",
    "LogKeyMismatchError",
    "LogFileError",
    "ManifestError",
    "FFmpegNotFoundError",
    "FFmpegError",
    "StitchError",
    "NoFrameError",
    "UnsafeArchiveError",
    "ScopeError",
    "SegmentExistsError",
    "TaskFailedError",
    "DiskWriteError",
    "LogDiskError",
    "CheckpointDiskError",
    "ManifestDiskError",
    "SegmentDiskError",
    "StitchDiskError",
    "IgnoredSettingWarning",
]


class GloMPOError(Exception):
    """Base class of every error raised by :mod:`glompo_scope_chkpt`."""


class InvalidSettingError(ValueError, GloMPOError):
    """A setting given to the manager, the checkpointing control or the scope is not valid."""


class InvalidSettingTypeError(InvalidSettingError, TypeError):
    """A setting is of the wrong type (a string where a number is needed, a class for an object).

    It is a :class:`TypeError` as well, as callers of GloMPO expect for a wrong type.
    """


class CheckpointError(GloMPOError):
    """A checkpoint could not be written, or one of its steps failed.

    Parameters
    ----------
    message
        What failed, which file, and what to do.
    written
        The new checkpoint, if it was written all the same (only deleting older ones failed).

    Attributes
    ----------
    written : Path or None
        See above.
    """

    def __init__(self, message: str, written: Path | None = None) -> None:
        super().__init__(message)
        self.written = written


class CheckpointLoadError(GloMPOError):
    """A checkpoint could not be read: missing, truncated, altered or of an unknown version."""


class UnsafeArchiveError(CheckpointLoadError):
    """A checkpoint archive holds a member that would land outside its extraction folder."""


class TaskNotAvailableError(CheckpointLoadError):
    """A checkpoint holds no usable task and none was supplied at load time."""


class LogFileError(GloMPOError):
    """The HDF5 log cannot be opened, read or written."""


class LogKeyMismatchError(LogFileError):
    """The HDF5 log in the working directory belongs to another optimization."""


class ManifestError(GloMPOError):
    """The movie manifest is missing, unreadable or does not match the files beside it."""


class FFmpegNotFoundError(FileNotFoundError, GloMPOError):
    """No ffmpeg binary could be found."""


class FFmpegError(GloMPOError):
    """An ffmpeg child process failed; the message holds the command and its stderr tail."""


class StitchError(GloMPOError):
    """Movie segments could not be probed, stitched or verified."""


class NoFrameError(StitchError):
    """A movie file holds no complete frame: it is empty, or was cut before its first frame."""


class ScopeError(GloMPOError):
    """The live scope cannot draw or record: its renderer stopped, or a call came out of order."""


class SegmentExistsError(FileExistsError, ScopeError):
    """A movie segment would overwrite an existing file."""


class TaskFailedError(GloMPOError):
    """The task failed in every evaluation: optimizers kept crashing before any value came back."""


class DiskWriteError(OSError, GloMPOError):
    """The disk refused a write: it is full, over quota, read-only or failing.

    The message names the file, the disk (mount point and device) and the space free there. The
    subclasses below are also the error of the file they concern, so ``except LogFileError``
    (say) catches a full disk under the log too.
    """


class LogDiskError(DiskWriteError, LogFileError):
    """The HDF5 log could not be written because of its disk; it is abandoned, not damaged."""


class CheckpointDiskError(DiskWriteError, CheckpointError):
    """A checkpoint step could not write its file because of the disk."""

    def __init__(self, message: str, written: Path | None = None) -> None:
        DiskWriteError.__init__(self, message)
        self.written = written


class ManifestDiskError(DiskWriteError, ManifestError):
    """The movie manifest could not be saved because of its disk."""


class SegmentDiskError(DiskWriteError, FFmpegError):
    """A movie segment could not be written (ffmpeg failed on its disk) or made durable."""


class StitchDiskError(DiskWriteError, StitchError):
    """The stitched movie (or a file stitching needs) could not be written because of the disk."""


class IgnoredSettingWarning(UserWarning):
    """A setting GloMPO knows was given a value that has no effect here; the message says why.

    Filter it with ``warnings.filterwarnings("ignore", category=IgnoredSettingWarning)``.
    """
