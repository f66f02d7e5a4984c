"""What a movie timeline does when frames were lost: the renderer died, or the run was killed.

Two losses, one rule: frames before a checkpoint are drawn again from the run's history.

* The renderer process or its ffmpeg died during the session (:meth:`TimelineLosses._recover`):
  the segment being recorded keeps the frames it holds (probed; it is ``complete``, or removed
  if it holds no frame, the next segment then taking its place), a new renderer redraws the
  picture from the history, and recording goes on, with one warning (see
  :mod:`.recording_losses` for when a session stops recording). A segment ended at a checkpoint
  whose file holds no frame stays listed and is drawn again by the new renderer.
* The run was killed while the renderer caught up (:meth:`TimelineLosses._redraw_unfinished`):
  a segment the checkpoint resumed from lists that is missing or unfinished is drawn again
  under its own number, over the same evaluations, from the checkpointed history; a file it
  left is kept as a superseded segment under a new number. A segment listed without a file is
  found under its new name or dropped (:meth:`TimelineLosses._locate`), and those recorded
  after the checkpoint are superseded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from pathlib import Path
from typing import Any, Protocol

from .._fileio import fsync_dir, fsync_path
from .._logging import get_logger
from .._run_files import segment_name
from ..core.state import RunState
from ..errors import StitchError
from ..scope.live import LiveScope
from .manifest import Manifest
from .recording_losses import RecordingLosses
from .segment_record import SegmentRecord
from .video.probe import probe
from .video.video_info import VideoInfo

__all__ = ["TimelineLosses"]

logger = get_logger(__name__)


def _drawn(args: dict[str, Any]) -> dict[str, Any]:
    """The settings of ``args`` that change a movie's frames (not the window, not the file)."""
    movie = {k: v for k, v in args["movie_kwargs"].items() if k != "outfile"}
    return {**args, "interactive_mode": None, "movie_kwargs": movie}


class _Timeline(Protocol):
    """What the loss handling uses of :class:`~.timeline.MovieTimeline`."""

    state: RunState
    recording: bool
    losses: RecordingLosses
    manifest: Manifest
    scope: LiveScope
    current: SegmentRecord | None
    _args: dict[str, Any]
    _kept: str
    _lost: list[SegmentRecord]
    _next_start: int | None

    def _settle(self, wait: bool) -> None: ...
    def _close_segment(
        self, record: SegmentRecord, label: str, checkpoint: str | None, last: bool = False
    ) -> None: ...
    def _start_segment(self, index: int | None = None) -> None: ...
    def _start_next(self) -> None: ...
    def _end_current(self, checkpoint: str | None, end: int) -> None: ...

    segment_dir: Path
    stem: str

    def _locate(self, record: SegmentRecord) -> bool: ...
    def _after_loss(self, restart: bool = True) -> None: ...
    def _redraw_lost(self) -> None: ...
    def _set_aside(self, old: SegmentRecord) -> None: ...
    def _unfinished_end(self, old: SegmentRecord, following: list[SegmentRecord]) -> int: ...


class TimelineLosses:
    """The loss handling of :class:`~.timeline.MovieTimeline` (a mixin; see the module)."""

    def _recover(self: _Timeline, start_next: bool = True) -> None:
        """The renderer or its ffmpeg died: keep the segment so far, go on with a new renderer.

        The new renderer first draws again the segments ended at a checkpoint that were lost
        before their first frame, then (if ``start_next``) records on in a new segment. Never
        raises: if recording cannot go on, the session stops recording, with a warning.
        """
        try:
            self._settle(wait=True)
            if self.current is not None:
                self._close_segment(self.current, "cut", None)
            self._after_loss()
            if self.recording and not self.losses.stopped:
                self._redraw_lost()
                if start_next:
                    self._start_next()
            if self.recording:
                self.manifest.save()
        except Exception as exc:
            self.losses.give_up(exc)

    def _after_loss(self: _Timeline, restart: bool = True) -> None:
        """Count the loss ``scope.lost`` names, warn once, and replace the scope by a new one.

        Parameters
        ----------
        restart
            Start a new renderer (even when recording stops: it draws the window and the still).
        """
        assert self.scope.lost is not None  # called only after a loss
        self.losses.lost(self.scope.lost, self._kept)
        self._kept = ""
        self.scope.close()
        if restart:
            self.scope = LiveScope(self._args, self.state.history)

    def _salvage(self: _Timeline, record: SegmentRecord) -> VideoInfo | None:
        """Describe what a segment cut short holds; if it holds no frame at all, remove its file.

        A segment ended at a checkpoint stays listed, to be drawn again (the checkpoint lists
        it); any other is removed, and the next segment takes its place.
        """
        file = self.manifest.absolute(record)
        try:
            video = probe(file)
        except StitchError:
            file.unlink(missing_ok=True)
            if record.checkpoint is not None:
                self._lost.append(record)
                self._kept = f"Its movie segment {record.index} held no frame: it is drawn again."
            else:
                self.manifest.segments.remove(record)
                self._next_start = record.f_counter_start
                self._kept = f"Its movie segment {record.index} held no frame and was removed."
            return None
        fsync_path(file)  # the manifest lists it next: its bytes go to the disk first
        self._kept = f"Its movie segment {record.index} keeps its {video.frames} frames."
        return video

    def _redraw_lost(self: _Timeline) -> None:
        """Draw again, under their own numbers, the segments :meth:`_salvage` found empty."""
        lost = list(self._lost)
        self._lost.clear()
        for old in lost:
            assert old.f_counter_end is not None  # ended
            self.manifest.segments.remove(old)
            self._next_start = old.f_counter_start
            self._start_segment(old.index)
            self._end_current(old.checkpoint, old.f_counter_end)

    def _supersede(self: _Timeline, keep: list[int]) -> None:
        for record in self.manifest.supersede_except(keep):
            if not self._locate(record):
                continue
            if record.video is None:
                try:
                    record.describe(probe(self.manifest.absolute(record)))
                except StitchError as exc:
                    logger.warning("Superseded segment %s is unreadable: %s", record.path, exc)
            logger.info("Segment %s superseded (recorded past the checkpoint)", record.path)

    def _locate(self: _Timeline, record: SegmentRecord) -> bool:
        """Make ``record`` point at its file after a kill; drop it if no file was ever made.

        A kill between renaming a closed segment and saving the manifest leaves the file under
        its new name; a kill before ffmpeg created a new segment leaves no file at all.
        """
        if self.manifest.absolute(record).exists():
            return True
        found = sorted(self.segment_dir.glob(segment_name(self.stem, record.index, "*")))
        if len(found) == 1:
            record.path = self.manifest.relative(found[0])
            return True
        self.manifest.segments.remove(record)
        logger.info("Segment %s was never written; dropped from the manifest", record.path)
        return False

    def _redraw_unfinished(
        self: _Timeline, checkpoint: str, recorded_args: dict[str, Any] | None
    ) -> None:
        """Draw again the segments the checkpoint lists that the renderer had not finished.

        Each is drawn again under its own number, over the same evaluations, from the
        checkpointed history, so the checkpoint's list of segments stays true however often the
        run is killed and resumed from it; a file it left is kept as a superseded segment under
        a new number (:meth:`_set_aside`). When an override changed how
        frames are drawn, a renderer of their own draws them with ``recorded_args``, and this
        waits for it; segments of differing frame sizes are fine (the stitch then re-encodes to
        the largest).
        """
        listed = sorted(
            (r for r in self.manifest.segments if r.index in self.state.movie_segments),
            key=lambda r: r.index,
        )
        unfinished = [
            (old, self._unfinished_end(old, listed[position + 1 : position + 2]))
            for position, old in enumerate(listed)
            if old.status != "complete"
        ]
        if not unfinished:
            return
        own = recorded_args is not None and _drawn(recorded_args) != _drawn(self._args)
        main = self.scope
        if own:
            assert recorded_args is not None  # checked above
            self.scope = LiveScope({**recorded_args, "interactive_mode": False}, self.state.history)
        try:
            for old, end in unfinished:
                logger.info("Segment %s was not finished before the kill: drawn again", old.path)
                if self._locate(old):
                    self._set_aside(old)
                self._next_start = old.f_counter_start or 0
                self._start_segment(old.index)
                self._end_current(old.checkpoint or checkpoint, end)
            if own:
                self._settle(wait=True)
        finally:
            if own:
                self.scope.close()
                self.scope = main

    def _set_aside(self: _Timeline, old: SegmentRecord) -> None:
        """Move the file of ``old`` to a new number and mark it superseded; the caller saves.

        A kill before the manifest is saved leaves the file under its new name, unlisted; the
        segment listed under the old number then has no file and is drawn again once more.
        """
        index = self.manifest.next_index()
        target = self.segment_dir / segment_name(self.stem, index, "superseded")
        os.replace(self.manifest.absolute(old), target)
        fsync_dir(self.segment_dir)
        self.manifest.segments.remove(old)
        aside = dataclasses.replace(old, index=index, status="superseded")
        aside.path = self.manifest.relative(target)
        with contextlib.suppress(StitchError):  # a file cut before its first frame is kept too
            aside.describe(probe(target))
        self.manifest.add(aside)

    def _unfinished_end(self: _Timeline, old: SegmentRecord, following: list[SegmentRecord]) -> int:
        """Where the unfinished segment ``old`` ends: as recorded, else where the next starts."""
        if old.f_counter_end is not None:
            return old.f_counter_end
        after = following[0].f_counter_start if following else None
        return self.state.f_counter if after is None else after
