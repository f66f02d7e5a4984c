"""The run's log and movie as the loop sees them: the two contracts a session writes through.

A session holds at most one of each, opened by :mod:`.session` before the loop starts and closed
by it when the loop ends, however it ends. Both are driven from the manager's thread only, in
the order the loop processes evaluation results; neither may block on drawing or encoding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..core.history import Marker

__all__ = ["RunLog", "RunMovie"]


class RunLog(Protocol):
    """The HDF5 log of a run (:class:`~glompo_scope_chkpt.log.writer.OptimizationLog`).

    Calls come from the manager's thread, in ``call_id`` order per optimizer. Rows may be
    buffered: only :meth:`flush` promises they are on disk. Every method raises
    :class:`~glompo_scope_chkpt.errors.LogFileError` when the file cannot be written, and
    :class:`~glompo_scope_chkpt.errors.InvalidSettingError` for an argument the log refuses
    (an unknown optimizer, a ``call_id`` not after the last one).
    """

    def has_optimizer(self, opt_id: int) -> bool:
        """Whether the log knows optimizer ``opt_id`` (a log created on resume may not)."""
        ...

    def add_optimizer(
        self, opt_id: int, opt_type: str, start_call: int, options: dict[str, Any]
    ) -> None:
        """Register an optimizer started at evaluation ``start_call``."""
        ...

    def put_iteration(self, opt_id: int, call_id: int, x: np.ndarray, fx: float) -> None:
        """Record evaluation ``call_id`` of optimizer ``opt_id``."""
        ...

    def put_message(self, opt_id: int, call_id: int, message: str) -> None:
        """Record a message of optimizer ``opt_id`` at evaluation ``call_id``."""
        ...

    def end_optimizer(self, opt_id: int, reason: str, end_call: int) -> None:
        """Mark optimizer ``opt_id`` as ended at evaluation ``end_call``."""
        ...

    def set_root_attrs(self, **attrs: Any) -> None:
        """Set run-level attributes (end reason, number of sessions)."""
        ...

    def flush(self) -> None:
        """Write every buffered row and make it durable; called before each checkpoint."""
        ...

    def write(self) -> None:
        """Write every buffered row to the file, without ``fsync`` (a killed process keeps it)."""
        ...

    def close(self) -> None:
        """Flush and close the file; the last call, made whatever way the session ended."""
        ...


class RunMovie(Protocol):
    """The movie of a run (:class:`~glompo_scope_chkpt.movie.timeline.MovieTimeline`).

    Calls come from the manager's thread and only hand data over: drawing and encoding happen in
    another process, so none of these waits for a frame. Failures of the movie raise
    :class:`~glompo_scope_chkpt.errors.ScopeError` or
    :class:`~glompo_scope_chkpt.errors.StitchError`; a renderer or ffmpeg that dies raises
    nothing (a warning, and recording goes on in a new segment).
    """

    def notify_point(self, opt_id: int, call_id: int, fx: float) -> None:
        """A new evaluation of optimizer ``opt_id`` (already in the run's history)."""
        ...

    def notify_marker(self, marker: Marker) -> None:
        """A new marker (kill, convergence, crash, checkpoint, resume) in the run's history."""
        ...

    def on_checkpoint(self, name: str, f_counter: int, start_next: bool = True) -> list[int]:
        """Close the segment being recorded, name it after checkpoint ``name``, save the manifest.

        Returns the indices of the segments that make up the movie up to this checkpoint; the
        checkpoint stores them. A new segment is started unless ``start_next`` is false.
        """
        ...

    def finish(self, f_counter: int, stitch_movie: bool = True) -> Path | None:
        """Close the last segment; stitch the timeline into the final movie if asked.

        Returns the final movie's path, or ``None`` when nothing was stitched. The last call,
        made whatever way the session ended; only when Ctrl-C stops the final stitch does a
        checkpoint of the finished run follow (``on_checkpoint`` with ``start_next=False``).
        """
        ...
