"""The one place that decides how a run's log is opened: checked at load, settled at start.

Loading a checkpoint only *checks* the working dir's log (:func:`check_log`): it must be a
readable log of the same optimization, or be absent. Nothing is moved then, so a manager that is
loaded and never started leaves every file as it was. Starting the run *settles* it
(:func:`open_run_log`): a new run creates the file; a resumed run continues it, rolling back
what lies after the checkpoint (see :mod:`.writer` for the rules).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .survey import survey_log
from .writer import OptimizationLog

__all__ = ["check_log", "open_run_log"]


def check_log(path: Path, key: str, n_params: int, f_counter: int) -> None:
    """Check, read-only, that ``path`` is absent or a log this run may continue.

    The whole file is checked (:func:`.survey.survey_log`) against the checkpoint taken at
    evaluation ``f_counter``, so a resume fails here, at load, rather than when the run starts.

    Raises
    ------
    LogKeyMismatchError
        If it is the log of another optimization.
    LogFileError
        If it is unreadable, not a log, has another number of parameters, or is damaged.
    """
    if path.exists():
        survey_log(path, key, n_params, f_counter)


def open_run_log(
    path: Path,
    key: str,
    n_params: int,
    f_counter: int,
    origin: str,
    metadata: Mapping[str, str | int | float | bool],
) -> OptimizationLog:
    """Open the log of a run about to start at evaluation ``f_counter``.

    A run that starts from nothing (``f_counter`` 0, no file) creates the log with
    ``metadata``; otherwise the file is continued from ``origin`` (the checkpoint's name):
    created with a warning when missing, rolled back when ahead.

    Raises
    ------
    LogKeyMismatchError, LogFileError
        As :func:`check_log`; the file is untouched then.
    """
    if f_counter == 0 and not path.exists():
        return OptimizationLog.create(path, key, n_params, metadata)
    return OptimizationLog.resume(path, key, n_params, f_counter, origin)
