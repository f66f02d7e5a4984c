"""The movie is a function of the run: recorded twice, or interrupted and resumed, same frames.

Each session runs in a fresh interpreter (as a requeued job does). The segments are encoded
losslessly (``-qp 0``), so equal pictures decode to equal frames, compared by their MD5.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from glompo_scope_chkpt.checkpoint.archive import read_meta
from glompo_scope_chkpt.checkpoint.locate import checkpoint_candidates
from glompo_scope_chkpt.engine.user_files import POLL_SECONDS
from tests.helpers.fresh import in_fresh_process
from tests.helpers.media import assert_decodes_cleanly, frame_hashes

pytestmark = pytest.mark.slow

SCRIPT = __file__
BUDGET, FREQUENCY, EVERY, CHKPT_AT = 600, 200, 10, 500
VIS = {
    "record_movie": True,
    "events_per_flush": EVERY,
    "show_resumes": False,
    "writer_kwargs": {"extra_args": ["-qp", "0"]},
    "movie_kwargs": {"figsize": (3.2, 2.4), "dpi": 50},
}


class Interrupts:
    """A sphere that SIGKILLs (or SIGTERMs) its own process at its ``at``-th call, and at its
    ``chkpt``-th call asks for a checkpoint with a ``CHKPT`` file in ``work``, waiting long
    enough for the manager to see it right after this evaluation."""

    def __init__(self, at: int, signum: int, chkpt: int, work: Path) -> None:
        self.at, self.signum, self.chkpt, self.work, self.calls = at, signum, chkpt, work, 0

    def __call__(self, x: np.ndarray) -> float:
        self.calls += 1
        if self.calls == self.chkpt:
            (self.work / "CHKPT").touch()
            time.sleep(2 * POLL_SECONDS)
        if self.calls == self.at:
            os.kill(os.getpid(), self.signum)
        return float(np.sum(np.asarray(x) ** 2))


def _run(work: Path, at: int, signum: int, chkpt: int, override: dict | None) -> dict:
    from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
    from glompo_scope_chkpt.convergence import MaxFuncCalls
    from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
    from glompo_scope_chkpt.selectors import CycleSelector

    task = Interrupts(at, signum, chkpt, work)
    if (work / "checkpoints").is_dir() and any((work / "checkpoints").glob("*.tar.gz")):
        manager = GloMPOManager.load_manager(
            work / "checkpoints", task=task, visualisation_args=override
        )
    else:
        manager = GloMPOManager.new_manager(
            task=task,
            bounds=[(-5.0, 5.0)] * 3,
            opt_selector=CycleSelector(
                (CMAOptimizer, {"popsize": 6}), (RandomOptimizer, {"max_evals": 150})
            ),
            working_dir=work,
            executor="serial",
            max_jobs=1,
            seed=3,
            convergence_checker=MaxFuncCalls(BUDGET),
            checkpoint_control=CheckpointingControl(
                checkpoint_iter_frequency=FREQUENCY,
                checkpointing_dir=work / "checkpoints",
                naming_format="chk_%(count)",
                checkpoint_at_conv=True,
            ),
            summary_files=3,
            visualisation=True,
            visualisation_args=VIS,
        )
    result = manager.start_manager()
    return {"f_counter": result.stats["f_counter"], "interrupted": result.interrupted}


def _session(
    work: Path,
    at: int = 0,
    signum: int = 0,
    hash_seed: int = 1,
    chkpt: int = 0,
    override: dict | None = None,
) -> dict:
    argv = [str(work), str(at), str(signum), str(chkpt), json.dumps(override)]
    return in_fresh_process(SCRIPT, argv, hash_seed)


def _movie(work: Path) -> list[str]:
    movie = work / "glomporecording.mp4"
    assert_decodes_cleanly(movie)
    return frame_hashes(movie)


def test_the_same_run_recorded_twice_gives_the_same_frames(tmp_path: Path) -> None:
    _session(tmp_path / "a", hash_seed=1)
    _session(tmp_path / "b", hash_seed=2)
    first, second = _movie(tmp_path / "a"), _movie(tmp_path / "b")
    assert len(first) == BUDGET // EVERY + 1  # every EVERY evaluations, and the run's end
    assert first == second


def test_interrupted_and_resumed_gives_the_uninterrupted_frames(tmp_path: Path) -> None:
    # both runs ask for a checkpoint with a CHKPT file at evaluation 500, between scheduled ones
    _session(tmp_path / "whole", chkpt=CHKPT_AT)
    reference = _movie(tmp_path / "whole")
    work = tmp_path / "cut"
    with pytest.raises(AssertionError):  # killed right after the checkpoint at 200
        _session(work, at=FREQUENCY + 1, signum=signal.SIGKILL)
    manifest = json.loads((work / "checkpoints" / "movie_manifest.json").read_text())
    assert manifest["segments"][-1]["status"] == "recording"
    stopped = _session(work, at=FREQUENCY, signum=signal.SIGTERM)  # at evaluation 400
    assert stopped == {"f_counter": 2 * FREQUENCY, "interrupted": True}
    with pytest.raises(AssertionError):  # killed 30 evaluations after the CHKPT checkpoint
        _session(work, at=CHKPT_AT - 2 * FREQUENCY + 30, signum=signal.SIGKILL, chkpt=100)
    newest = checkpoint_candidates(work / "checkpoints")[0]
    assert 2 * FREQUENCY < read_meta(newest)["f_counter"] <= CHKPT_AT  # the CHKPT file's
    finished = _session(work)
    assert finished == {"f_counter": BUDGET, "interrupted": False}
    frames = _movie(work)
    assert len(frames) == len(reference)
    assert [i for i, (a, b) in enumerate(zip(frames, reference, strict=True)) if a != b] == []


def test_an_override_on_resume_changes_only_the_frames_after_the_checkpoint(
    tmp_path: Path,
) -> None:
    _session(tmp_path / "whole")
    reference = _movie(tmp_path / "whole")
    work = tmp_path / "cut"
    with pytest.raises(AssertionError):  # killed before the segment up to 200 was completed
        _session(work, at=FREQUENCY + 1, signum=signal.SIGKILL)
    manifest = json.loads((work / "checkpoints" / "movie_manifest.json").read_text())
    assert [s["status"] for s in manifest["segments"]] == ["recording"] * 2
    finished = _session(work, override={"log_scale": True})
    assert finished == {"f_counter": BUDGET, "interrupted": False}
    frames = _movie(work)
    before = FREQUENCY // EVERY  # the frames up to the checkpoint, drawn again on resume
    assert len(frames) == len(reference)
    assert frames[:before] == reference[:before]
    assert all(a != b for a, b in zip(frames[before:], reference[before:], strict=True))


def test_render_reproduces_the_live_frames(tmp_path: Path) -> None:
    from glompo_scope_chkpt.cli.main import main

    _session(tmp_path / "live")
    out = tmp_path / "rendered.mp4"
    assert main(["render", str(tmp_path / "live"), "-o", str(out)]) == 0
    assert_decodes_cleanly(out)
    assert frame_hashes(out) == _movie(tmp_path / "live")


def test_render_names_the_folder_when_there_is_nothing_to_draw(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from glompo_scope_chkpt.cli.main import main

    assert main(["render", str(tmp_path)]) == 2
    assert str(tmp_path) in capsys.readouterr().err


if __name__ == "__main__":
    folder, call, sig, chkpt = Path(sys.argv[1]), *map(int, sys.argv[2:5])
    print(json.dumps(_run(folder, call, sig, chkpt, json.loads(sys.argv[5]))))
