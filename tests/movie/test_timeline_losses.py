"""The movie timeline after its recorder died: the checkpoints' segments still chain up.

A :class:`MovieTimeline` is driven directly, as the manager's loop does, with a real renderer and
ffmpeg. Its ffmpeg is killed right after a checkpoint started a new segment, before that segment
got a frame; the next checkpoint finds the loss when it ends the segment, warns once, and a new
renderer draws that segment again from the history under the number the checkpoint lists.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from glompo_scope_chkpt.core.state import RunState
from glompo_scope_chkpt.movie.manifest import Manifest
from glompo_scope_chkpt.movie.timeline import MovieTimeline
from glompo_scope_chkpt.scope.vis_args import validate_visualisation_args
from tests.helpers.media import assert_decodes_cleanly
from tests.helpers.procs import ffmpeg_writing, processes_mentioning, wait_gone

VIS = {"record_movie": True, "events_per_flush": 5, "movie_kwargs": {"dpi": 30}}


def _evaluate(timeline: MovieTimeline, state: RunState, stop: int, notify: bool = True) -> None:
    """Evaluations up to ``stop`` of one optimizer, as the manager reports them."""
    for call_id in range(state.f_counter + 1, stop + 1):
        state.f_counter = call_id
        fx = float(20 + 10 * np.sin(call_id / 6))
        state.history.add_point(1, call_id, fx)
        if notify:
            timeline.notify_point(1, call_id, fx)


def test_a_segment_lost_before_its_first_frame_still_closes_its_checkpoint(
    tmp_path: Path,
) -> None:
    state = RunState(key="k", rng=np.random.default_rng(0))
    folder = tmp_path / "checkpoints"
    timeline = MovieTimeline(
        validate_visualisation_args(VIS), state, folder, tmp_path, session=1, resumed_from=None
    )
    _evaluate(timeline, state, 50)
    assert timeline.on_checkpoint("a", 50) == [1]
    timeline.scope.wait_idle()  # the checkpoint did not wait for segment 2 to start
    encoder = ffmpeg_writing(folder / "segments")
    assert len(encoder) == 1  # segment 2, no frame yet
    os.kill(encoder[0], signal.SIGKILL)
    wait_gone(encoder)
    _evaluate(timeline, state, 60, notify=False)  # no frame is asked for before the checkpoint
    with pytest.warns(RuntimeWarning, match="held no frame: it is drawn again") as caught:
        assert timeline.on_checkpoint("b", 60) == [1, 2]  # what the checkpoint archive lists
        _evaluate(timeline, state, 80)  # the checkpoint does not wait: the loss shows by now
        movie = timeline.finish(80)
    assert len(caught) == 1
    manifest = Manifest.load(folder)
    closing_b = manifest.timeline_at("b")
    assert [(r.index, r.checkpoint, r.f_counter_start, r.f_counter_end) for r in closing_b] == [
        (1, "a", 0, 50),
        (2, "b", 50, 60),
    ]
    assert closing_b[-1].video.frames == 2  # the frames at 55 and 60, drawn again
    segments = json.loads((folder / "movie_manifest.json").read_text())["segments"]
    assert {s["status"] for s in segments} == {"complete"}  # a segment may be cut at the loss
    # no frame lost: one every 5 evaluations and the run's last one
    assert assert_decodes_cleanly(movie) == sum(s["frames"] for s in segments) == 80 // 5 + 1
    wait_gone(processes_mentioning(str(tmp_path)), timeout=5)
