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

The movie never stops the optimization. When the renderer process dies or its ffmpeg is killed,
the segment being recorded is closed with the frames it holds (probed; it is ``complete`` and
named ``...cut.ts``, or after the checkpoint that closes it; removed if it holds no frame), a
new renderer redraws the whole picture from the run's history, and recording goes on in a new
segment, with one warning (see :mod:`.recording_losses` for when a session stops recording).
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

from .._fileio import atomic_path, fsync_dir, fsync_path, make_dirs
from .._logging import get_logger
from .._run_files import SEGMENT_FOLDER, segment_name, still_name
from .._tempfiles import temp_prefix
from ..core.history import Marker
from ..core.state import RunState
from ..errors import ScopeError, StitchError
from ..scope.live import LiveScope
from .confine import working_dir_entry
from .manifest import Manifest
from .recording_losses import RecordingLosses
from .segment_record import SegmentRecord
from .stitch.chapters import timeline_chapters
from .stitch.run import stitch
from .video.probe import probe
from .video.video_info import VideoInfo

__all__ = ["MovieTimeline"]

logger = get_logger(__name__)


def _drawn(args: dict[str, Any]) -> dict[str, Any]:
    """The settings of ``args`` that change a movie's frames (not the window, not the file)."""
    movie = {k: v for k, v in args["movie_kwargs"].items() if k != "outfile"}
    return {**args, "interactive_mode": None, "movie_kwargs": movie}


class MovieTimeline:
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

    def _supersede(self, keep: list[int]) -> None:
        for record in self.manifest.supersede_except(keep):
            if not self._locate(record):
                continue
            if record.video is None:
                try:
                    record.describe(probe(self.manifest.absolute(record)))
                except StitchError as exc:
                    logger.warning("Superseded segment %s is unreadable: %s", record.path, exc)
            logger.info("Segment %s superseded (recorded past the checkpoint)", record.path)

    def _locate(self, record: SegmentRecord) -> bool:
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

    def _redraw_unfinished(self, checkpoint: str, recorded_args: dict[str, Any] | None) -> None:
        """Draw again the segments the checkpoint lists that the renderer had not finished.

        Each is superseded (its file kept) and replaced on the timeline by a new segment over
        the same evaluations, drawn from the checkpointed history. When an override changed how
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
                if self._locate(old):
                    old.status = "superseded"
                logger.info("Segment %s was not finished before the kill: drawn again", old.path)
                self._next_start = old.f_counter_start or 0
                self._start_segment()
                self._end_current(old.checkpoint or checkpoint, end)
            if own:
                self._settle(wait=True)
        finally:
            if own:
                self.scope.close()
                self.scope = main

    def _unfinished_end(self, old: SegmentRecord, following: list[SegmentRecord]) -> int:
        """Where the unfinished segment ``old`` ends: as recorded, else where the next starts."""
        if old.f_counter_end is not None:
            return old.f_counter_end
        after = following[0].f_counter_start if following else None
        return self.state.f_counter if after is None else after

    # -------------------------------------------------------------------------- hot path
    def notify_point(self, opt_id: int, call_id: int, fx: float) -> None:
        """An evaluation was added to the history."""
        self.scope.notify_point(opt_id, call_id, fx)
        if self._ending and self._ending[0][1].done():
            self._settle(wait=False)
        if self.scope.lost is not None and not self.losses.stopped:
            self._recover()

    def notify_marker(self, marker: Marker) -> None:
        """A marker was added to the history."""
        self.scope.notify_marker(marker)
        if self.scope.lost is not None and not self.losses.stopped:
            self._recover()

    # -------------------------------------------------------------------------- losses
    def _recover(self, start_next: bool = True) -> None:
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

    def _after_loss(self, restart: bool = True) -> None:
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

    def _salvage(self, record: SegmentRecord) -> VideoInfo | None:
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

    def _redraw_lost(self) -> None:
        """Draw again, under their own numbers, the segments :meth:`_salvage` found empty."""
        lost, self._lost = self._lost, []
        for old in lost:
            assert old.checkpoint is not None and old.f_counter_end is not None  # ended
            self.manifest.segments.remove(old)
            self._next_start = old.f_counter_start
            self._start_segment(old.index)
            self._end_current(old.checkpoint, old.f_counter_end)

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

    def _end_current(self, checkpoint: str, end: int) -> None:
        """End the current segment at ``end`` for ``checkpoint``; the renderer finishes it later."""
        record, self.current = self.current, None
        assert record is not None  # the caller checked
        record.checkpoint, record.f_counter_end = checkpoint, end
        self._ending.append((record, self._end_segment(end)))

    def _settle(self, wait: bool) -> None:
        """Complete the ended segments the renderer has finished (all of them if ``wait``)."""
        changed = False
        while self._ending and (wait or self._ending[0][1].done()):
            record, future = self._ending.pop(0)
            assert record.checkpoint is not None  # set when it was ended
            try:
                self._finished(record, f"chk_{record.checkpoint}", record.checkpoint, future)
            finally:
                changed = True
        if changed:
            self.manifest.save()

    def _finished(
        self, record: SegmentRecord, label: str, checkpoint: str | None, future: Future
    ) -> None:
        """Rename the finished segment ``record`` after ``label`` and complete the record.

        The caller saves the manifest. A segment that cannot be renamed is completed under its
        recording name, closed by no checkpoint, and the error is raised. A segment whose
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
        target = self.segment_dir / segment_name(self.stem, record.index, label)
        try:
            if target.exists():
                raise FileExistsError(f"Segment {target} exists already; it is never overwritten.")
            os.replace(source, target)
            fsync_dir(self.segment_dir)
        except OSError:
            self._complete(record, video, source, None)
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
        the ended segment and the next one listed.

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
        with self._noting_failure():
            self._settle(wait=False)
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
        self._failure = None  # an earlier failed checkpoint's recording is whole again
        return timeline

    @contextlib.contextmanager
    def _noting_failure(self) -> Iterator[None]:
        """Remember that recording failed: the session ends with that error, not a stitch.

        A run that carries on after the failed checkpoint forgets it at the next checkpoint
        that closes and starts segments cleanly; the movie is then stitched at the end.
        """
        try:
            yield
        except BaseException as exc:
            self._failure = exc
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
                    if self.recording and stitch_movie:  # the run ended: close the playlist
                        self.manifest.ended = True
                        self.manifest.save()
                    if stitch_movie:
                        self._save_still()
        finally:
            self.scope.close()
        if not (self.recording and stitch_movie) or self._failure is not None:
            return None
        self.manifest.verify_files(checksums=True)  # a segment changed on disk is not stitched
        records = self.manifest.timeline()
        segments = [self.manifest.absolute(r) for r in records]
        if not segments:
            logger.warning("No movie segment was recorded: %s is not made.", self.outfile)
            return None
        chapters = timeline_chapters(records)
        report = stitch(segments, self.outfile, mode="auto", force=True, chapters=chapters)
        logger.info(
            "Movie %s: %d frames from %d segments (%s)",
            self.outfile,
            report.frames,
            len(segments),
            report.mode_used,
        )
        return self.outfile

    def _save_still(self) -> None:
        """Save the last picture; without a renderer (recording stopped), only say so."""
        try:
            self.scope.save_still(self.still)
        except ScopeError:
            if self.scope.lost is None:
                raise
            logger.warning("No still of the scope: %s", self.scope.lost)
