"""A job killed from outside at random moments, resumed each time, must end whole.

Each round starts ``tests/helpers/kill_driver.py`` (new run or resume from the checkpointing
dir), lets it work for a random time, and kills it — SIGKILL to the whole job (Python, renderer
and ffmpeg at once, as a scheduler's hard kill does) or SIGTERM to the Python process (a
scheduler's polite signal). A last round runs to the end. Then: the log holds call_ids 1..N
exactly once, every manifest path exists, the stitched movie decodes cleanly and holds the
timeline's frames, the timeline covers every evaluation once with every frame, and no session
started behind the newest checkpoint that existed when the previous one died.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest

from glompo_scope_chkpt.log.writer import read_log
from glompo_scope_chkpt.scope.frames import FrameGrid
from glompo_scope_chkpt.scope.vis_args import validate_visualisation_args
from tests.helpers.media import decode
from tests.helpers.paths import REPO_ROOT
from tests.helpers.procs import descendants

DRIVER = REPO_ROOT / "tests" / "helpers" / "kill_driver.py"
EVALUATIONS = 2500
_ARGS = validate_visualisation_args({"record_movie": True, "events_per_flush": 10})
GRID = FrameGrid(_ARGS["events_per_flush"], _ARGS["max_frames"])
"""Where the driver's frames lie (its ``visualisation_args``)."""


def _newest_checkpoint_count(chk: Path) -> int:
    best = -1
    for archive in chk.glob("k_*.tar.gz"):
        try:
            with tarfile.open(archive) as tar:
                best = max(best, json.load(tar.extractfile("meta.json"))["f_counter"])
        except (tarfile.TarError, OSError, KeyError, ValueError):
            continue
    return best


def _round(work: Path, kill: int | None, after: float) -> list[str]:
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), str(work), str(EVALUATIONS)],
        stdout=subprocess.PIPE,
        text=True,
    )
    if kill is not None:
        time.sleep(after)
        victims = [proc.pid]
        if kill == signal.SIGKILL:
            victims += descendants(proc.pid)
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, kill)
    out, _ = proc.communicate(timeout=120)
    return out.split()


def _run_harness(tmp_path: Path, kill: int, rounds: int, seed: int) -> None:
    rng = random.Random(seed)
    work = tmp_path / "job"
    chk = work / "checkpoints"
    resumed = 0
    for _ in range(rounds):
        before = _newest_checkpoint_count(chk) if chk.exists() else -1
        words = _round(work, kill, rng.uniform(1.0, 3.0))
        if "RESUMED" in words:
            resumed += 1
            assert int(words[words.index("RESUMED") + 1]) == before
        if "DONE" in words:
            break
    words = _round(work, None, 0)
    resumed += "RESUMED" in words
    assert "DONE" in words and int(words[words.index("DONE") + 1]) == EVALUATIONS

    log = read_log(work / "glompo_log.h5")
    call_ids = np.sort(np.concatenate([o["call_id"] for o in log["optimizers"].values()]))
    np.testing.assert_array_equal(call_ids, np.arange(1, EVALUATIONS + 1))
    manifest = json.loads((chk / "movie_manifest.json").read_text())
    for segment in manifest["segments"]:
        assert (chk / segment["path"]).exists(), segment
    timeline = [s for s in manifest["segments"] if s["status"] == "complete"]
    frames, errors = decode(work / "glomporecording.mp4")
    assert errors == ""
    assert frames == sum(s["frames"] for s in timeline)
    # the timeline covers the whole run, each frame once: segments a lagging renderer never
    # finished before a kill were drawn again by a later session (a gap between two segments
    # is a segment that held no frame, removed)
    starts, ends = ([s[key] for s in timeline] for key in ("f_counter_start", "f_counter_end"))
    for end, start in zip([0, *ends], starts, strict=False):
        assert end <= start and not list(GRID.boundaries(end, start)), timeline
    assert ends[-1] == EVALUATIONS, timeline
    assert frames == len(list(GRID.boundaries(0, EVALUATIONS))) + 1  # + the run's last frame
    assert len({s["session"] for s in manifest["segments"]}) >= (2 if resumed else 1)


@pytest.mark.slow
def test_random_sigkills_of_the_whole_job(tmp_path):
    _run_harness(tmp_path, signal.SIGKILL, rounds=4, seed=int(os.environ.get("KILL_SEED", "1")))


@pytest.mark.slow
def test_random_sigterms(tmp_path):
    _run_harness(tmp_path, signal.SIGTERM, rounds=3, seed=int(os.environ.get("KILL_SEED", "2")))
