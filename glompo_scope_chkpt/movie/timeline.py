"""The movie of one run as a timeline of segments that follows the checkpoints.

Each checkpoint ends the segment being recorded at its ``f_counter`` and starts the next one,
without waiting for the renderer: the segment keeps the ``recording`` status (with the
checkpoint's name and ``f_counter_end``) until the renderer has drawn its last frame; it is then
renamed after the checkpoint and marked ``complete`` (the manager's thread does this at its next
evaluation, checkpoint or at the end). Resuming from a checkpoint marks every segment recorded
after it ``superseded``: kept on disk, never stitched. A segment the checkpoint lists that was
not finished (the run was killed while the renderer caught up) is superseded too, and drawn again
by the new session from the checkpointed history, so no frame before the checkpoint is lost.
When the run ends the timeline is stitched into the configured movie in the working directory.

A failure to finish a segment after its checkpoint was written (its rename fails: the segment
is then complete under its recording name) is raised by the next checkpoint, or at the end of
the run: the manager's loop never sees an error between two checkpoints, and
``raise_checkpoint_fail`` decides what a failed checkpoint does. A segment ended at a checkpoint
that failed is closed by no checkpoint: it is completed under its recording name.

The movie never stops the optimization: see :mod:`.timeline_losses` for a renderer or an ffmpeg
that dies, and for segments a killed run left unfinished.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from .._fileio import atomic_path, fsync_dir, make_dirs
from .._logging import get_logger
from .._run_files import SEGMENT_FOLDER, segment_name, still_name
from .._tempfiles import temp_prefix
from ..core.history import Marker
from ..core.state import RunState
from ..errors import ScopeError
from ..scope.live import LiveScope
from .confine import working_dir_entry
from .manifest import Manifest
from .recording_losses import RecordingLosses
from .segment_record import SegmentRecord
from .stitch.run import stitch_timeline
from .timeline_losses import TimelineLosses
from .video.video_info import VideoInfo

__all__ = ["MovieTimeline"]

logger = get_logger(__name__)


class MovieTimeline(TimelineLosses):
    """The live scope of one session and, when recording, its movie segments.

    Parameters
    ----------
    args
        Validated ``visualisation_args``.
    state
        The run's state: its history is drawn, its ``movie_segments`` is the timeline as of the
        checkpoint this session resumed from.
    checkpointing_dir
        Where the manifest and the ``segments`` folder live.
    working_dir
        Where the stitched movie is written.
    session
        Number of this session.
    resumed_from
        Name of the checkpoint this session resumed from, or ``None`` for a new run.
    inherit_from
        The checkpointing dir of the checkpoint this session resumed from, when the run now
        checkpoints elsewhere (a ``working_dir=`` override): the segments of the timeline up to
        that checkpoint are copied from there, so the movie still spans every session.
    recorded_args
        The ``visualisation_args`` the checkpoint resumed from was written with, when an
        override on load changed them: the segments it lists that must be drawn again are drawn
        with these, so that an override changes only the frames after the checkpoint.
    """

    manifest: Manifest
    """The movie manifest; only while recording (``record_movie``)."""

    def __init__(
        self,
        args: dict[str, Any],
        state: RunState,
        checkpointing_dir: Path,
        working_dir: Path,
        session: int,
        resumed_from: str | None,
        inherit_from: Path | None = None,
        recorded_args: dict[str, Any] | None = None,
    ) -> None:
        self.state, self.session, self._args = state, session, args
        self.recording = bool(args["record_movie"])
        self.losses = RecordingLosses(self.recording)
        self._kept = ""
        self._next_start: int | None = None
        outfile = args["movie_kwargs"]["outfile"]
        self.outfile = working_dir / outfile
        self.still = working_dir / still_name(outfile)
        self.stem = Path(outfile).stem
        self.segment_dir = checkpointing_dir / SEGMENT_FOLDER
        self.current: SegmentRecord | None = None
        self._ending: list[tuple[SegmentRecord, Future]] = []
        """Segments ended at a checkpoint that the renderer has not finished, in order."""
        self._lost: list[SegmentRecord] = []
        """Segments ended at a checkpoint whose encoder died before their first frame: listed
        as ``recording`` until a new renderer draws them again (or the next session does)."""
        self._failure: BaseException | None = None
        """Why recording failed, if it did (the session then ends with that error)."""
        self._deferred: Exception | None = None
        """Why a segment could not be finished between two checkpoints: the next one raises it."""
        if self.recording:
            make_dirs(self.segment_dir)
            self.manifest = Manifest.load_or_new(checkpointing_dir, outfile)
            self.manifest.ended = False  # the playlist goes live again
            if inherit_from is not None and not self.manifest.segments:
                self._inherit(Manifest.load(inherit_from), state.movie_segments)
            self.manifest.working_dir = working_dir_entry(working_dir, checkpointing_dir)
            self._supersede(state.movie_segments if resumed_from is not None else [])
        self.scope = LiveScope(args, state.history)
        if self.recording:
            if resumed_from is not None:
                self._redraw_unfinished(resumed_from, recorded_args)
            self._start_next()

    def _inherit(self, earlier: Manifest, timeline: list[int]) -> None:
        """Copy the segments ``timeline`` of the run's earlier manifest into this one."""
        for index in timeline:
            record = earlier.get(index)
            target = self.manifest.absolute(record)
            make_dirs(target.parent)
            with atomic_path(target) as tmp:
                shutil.copyfile(earlier.absolute(record), tmp)
            self.manifest.add(dataclasses.replace(record))
        logger.info("Copied %d segments from %s", len(timeline), earlier.path)

    # -------------------------------------------------------------------------- hot path
    def notify_point(self, opt_id: int, call_id: int, fx: float) -> None:
        """An evaluation was added to the history."""
        self.scope.notify_point(opt_id, call_id, fx)
        if self._ending and self._ending[0][1].done():
            try:
                self._settle(wait=False)
            except Exception as exc:  # raised by the next checkpoint, or at the end
                logger.error("Could not finish a movie segment: %s", exc)
                self._deferred = self._deferred or exc
        if self.scope.lost is not None and not self.losses.stopped:
            self._recover()

    def notify_marker(self, marker: Marker) -> None:
        """A marker was added to the history."""
        self.scope.notify_marker(marker)
        if self.scope.lost is not None and not self.losses.stopped:
            self._recover()

    # -------------------------------------------------------------------------- segments
    def _start_segment(self, index: int | None = None) -> None:
        """List the next segment as ``recording``, save the manifest, then let ffmpeg create it.

        In this order a kill leaves at worst a listed segment without a file, which
        :meth:`_locate` drops on the next start, never a file the manifest does not know. If
        the segment cannot start, nothing records until a later call starts one.

        Parameters
        ----------
        index
            The segment's number, by default the next one.

        Raises
        ------
        OSError
            If the segments folder takes no new file, or the manifest cannot be saved.
        """
        # a folder that takes no new file fails here; ffmpeg would fail only later
        with tempfile.TemporaryFile(prefix=temp_prefix("probe"), dir=self.segment_dir):
            pass
        index = self.manifest.next_index() if index is None else index
        path = self.segment_dir / segment_name(self.stem, index, "recording")
        start, self._next_start = self._next_start, None
        record = SegmentRecord(
            index=index,
            path=path.relative_to(self.manifest.folder).as_posix(),
            status="recording",
            f_counter_start=self.state.f_counter if start is None else start,
            session=self.session,
            created=time.strftime("%Y-%m-%dT%H:%M:%S"),
        )
        self.manifest.add(record)
        try:
            self.manifest.save()
            self.scope.start_segment(path, record.f_counter_start)
        except BaseException:
            if self.scope.lost is not None and path.exists():
                self.current = record  # ffmpeg made it: closed like any segment cut short
            else:
                self.manifest.segments.remove(record)
                self._next_start = start
            raise
        self.current = record

    def _start_next(self) -> None:
        """Start the next segment; a renderer that dies meanwhile is replaced at the next call."""
        try:
            self._start_segment()
        except Exception:
            if self.scope.lost is None:
                raise
            self.manifest.save()

    def _close_segment(
        self, record: SegmentRecord, label: str, checkpoint: str | None, last: bool = False
    ) -> None:
        """Finish the current segment ``record`` now (``last``: with the run's last frame)."""
        self.current = None
        record.f_counter_end = self.state.f_counter
        self._finished(record, label, checkpoint, self._end_segment(self.state.f_counter, last))

    def _end_segment(self, end: int, last: bool = False) -> Future:
        """Ask the scope to end its segment at ``end``; a scope that is gone fails the future."""
        try:
            return self.scope.end_segment(end, last)
        except Exception as exc:
            future: Future = Future()
            future.set_exception(exc)
            return future

    def _end_current(self, checkpoint: str | None, end: int) -> None:
        """End the current segment at ``end`` for ``checkpoint``; the renderer finishes it later.

        With ``checkpoint`` None (it failed) the segment is completed under its recording name.
        """
        record, self.current = self.current, None
        assert record is not None  # the caller checked
        record.checkpoint, record.f_counter_end = checkpoint, end
        self._ending.append((record, self._end_segment(end)))

    def _settle(self, wait: bool) -> None:
        """Complete the ended segments the renderer has finished (all of them if ``wait``).

        Each is completed even if one cannot be renamed; the manifest is saved, then the first
        error is raised.
        """
        error: Exception | None = None
        settled = False
        while self._ending and (wait or self._ending[0][1].done()):
            record, future = self._ending.pop(0)
            label = None if record.checkpoint is None else f"chk_{record.checkpoint}"
            settled = True
            try:
                self._finished(record, label, record.checkpoint, future)
            except Exception as exc:
                error = error or exc
        if settled:
            self.manifest.save()
        if error is not None:
            raise error

    def _finished(
        self, record: SegmentRecord, label: str | None, checkpoint: str | None, future: Future
    ) -> None:
        """Rename the finished segment ``record`` after ``label`` and complete the record.

        The caller saves the manifest. Without ``label``, and when the rename fails, the segment
        is completed under its recording name (the error is then raised). A segment whose
        renderer or ffmpeg died is completed with the frames it holds, or removed if it holds
        none; a segment that holds no frame at all is removed from the manifest.
        """
        video: VideoInfo | None
        try:
            video = future.result()
        except Exception:
            if self.scope.lost is None:
                raise
            video = self._salvage(record)
        if video is None:
            if record in self.manifest.segments and record not in self._lost:
                self.manifest.segments.remove(record)
            return
        source = self.manifest.absolute(record)
        if label is None:
            self._complete(record, video, source, checkpoint)
            return
        target = self.segment_dir / segment_name(self.stem, record.index, label)
        try:
            if target.exists():
                raise FileExistsError(f"Segment {target} exists already; it is never overwritten.")
            os.replace(source, target)
            fsync_dir(self.segment_dir)
        except OSError:
            self._complete(record, video, source, checkpoint)
            raise
        self._complete(record, video, target, checkpoint)

    def _complete(
        self, record: SegmentRecord, video: VideoInfo, file: Path, checkpoint: str | None
    ) -> None:
        record.path = file.relative_to(self.manifest.folder).as_posix()
        record.describe(dataclasses.replace(video, path=file))
        record.status, record.checkpoint = "complete", checkpoint

    def on_checkpoint(self, name: str, f_counter: int, start_next: bool = True) -> list[int]:
        """End the current segment at the checkpoint; return the timeline's indices.

        Nothing waits for the renderer: the segment is completed (renamed under the
        checkpoint's name) once the renderer has finished it. The manifest is saved once, with
        the ended segment and the next one listed. A segment that could not be finished since
        the last checkpoint fails this one, after the segment was ended and the next started.

        Parameters
        ----------
        name
            The checkpoint's name.
        f_counter
            Evaluations at the checkpoint.
        start_next
            Start recording the next segment (``False`` when the session ends here).
        """
        if not self.recording:
            return []
        with self._noting_failure(name):
            deferred, self._deferred = self._deferred, None
            try:
                self._settle(wait=False)
            except Exception as exc:
                deferred = deferred or exc
            if self.current is not None:
                self._end_current(name, f_counter)
            ending = [*(record for record, _ in self._ending), *self._lost]
            timeline = sorted(r.index for r in [*self.manifest.timeline(), *ending])
            if start_next and self.scope.lost is None and not self.losses.stopped:
                self._start_next()  # a loss while ending shows at the next evaluation
            else:
                self.manifest.save()
            if self.scope.lost is not None and not self.losses.stopped:
                self._recover(start_next)
            if deferred is not None:
                raise deferred
        self._failure = None  # an earlier failed checkpoint's recording is whole again
        return timeline

    @contextlib.contextmanager
    def _noting_failure(self, checkpoint: str | None = None) -> Iterator[None]:
        """Remember that recording failed: the session ends with that error, not a stitch.

        A run that carries on after the failed checkpoint forgets it at the next checkpoint
        that closes and starts segments cleanly; the movie is then stitched at the end. The
        segments ended at the failed ``checkpoint`` are closed by no checkpoint.
        """
        try:
            yield
        except BaseException as exc:
            self._failure = exc
            for record in [*(record for record, _ in self._ending), *self._lost]:
                if checkpoint is not None and record.checkpoint == checkpoint:
                    record.checkpoint = None
            raise

    def finish(self, f_counter: int, stitch_movie: bool = True) -> Path | None:
        """Close the last segment and, if asked, stitch the timeline into the movie.

        When the run ended (``stitch_movie``), the final picture is also saved as
        ``<outfile stem>_final.png`` beside the movie. After a recording failure (whose error
        ends the session) the scope is only closed: nothing is stitched.

        Returns
        -------
        Path or None
            The stitched movie, if one was made.
        """
        try:
            if self._failure is None:
                with self._noting_failure():
                    if self.recording:
                        self._settle(wait=True)
                        if self.scope.lost is not None and not self.losses.stopped:
                            self._recover(start_next=False)
                            self._settle(wait=True)  # the segments it drew again
                        if stitch_movie and self.current is None and not self.losses.stopped:
                            self._start_next()  # the run's last frame needs a segment
                    if self.recording and self.current is not None:
                        self._close_segment(self.current, "final", None, last=stitch_movie)
                        self.manifest.save()
                    if self.scope.lost is not None and not self.losses.stopped:
                        self._after_loss(restart=stitch_movie)
                    deferred, self._deferred = self._deferred, None
                    if deferred is not None:
                        raise deferred
                    if self.recording and stitch_movie:  # the run ended: close the playlist
                        self.manifest.ended = True
                        self.manifest.save()
                    if stitch_movie:
                        self._save_still()
        finally:
            self.scope.close()
        if not (self.recording and stitch_movie) or self._failure is not None:
            return None
        report = stitch_timeline(self.manifest, self.outfile)
        if report is None:
            return None
        logger.info("Movie %s: %d frames (%s)", self.outfile, report.frames, report.mode_used)
        return self.outfile

    def _save_still(self) -> None:
        """Save the last picture; without a renderer (recording stopped), only say so."""
        try:
            self.scope.save_still(self.still)
        except ScopeError:
            if self.scope.lost is None:
                raise
            logger.warning("No still of the scope: %s", self.scope.lost)
