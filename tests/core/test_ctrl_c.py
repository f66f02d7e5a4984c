"""Ctrl-C is a checkpoint, not a traceback.

Real SIGINTs are sent to a real child process running an optimization that records its movie
and its HDF5 log: the first one checkpoints and stops it (``interrupted=True``), a second one
aborts at once, and a Ctrl-C during the final stitch leaves a checkpoint of the finished run, so
that resuming makes the movie without evaluating anything again.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from glompo_scope_chkpt.checkpoint.archive import read_meta
from glompo_scope_chkpt.scope.frames import FrameGrid
from glompo_scope_chkpt.scope.vis_args import validate_visualisation_args
from tests.helpers.procs import wait_for_file

DRIVER = """
import os, signal, sys, time
from pathlib import Path

import numpy as np

from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer


class Sphere:
    \"\"\"A 2 ms sphere; writes READY after 50 calls; with PICKLE_SLOWLY pickling takes 30 s.\"\"\"

    def __init__(self, work):
        self.work, self.calls = str(work), 0

    def __call__(self, x):
        self.calls += 1
        if self.calls == 50:
            Path(self.work, "READY").write_text("")
        time.sleep(0.002)
        return float(np.sum(np.asarray(x) ** 2))

    def __reduce__(self):
        if os.environ.get("PICKLE_SLOWLY"):
            Path(self.work, "PICKLING").write_text("")
            time.sleep(30)
        return (Sphere, (self.work,))


def ctrl_c_when_the_stitch_starts():
    import glompo_scope_chkpt.movie.stitch.run as timeline

    real = timeline.stitch

    def stitch(*args, **kwargs):
        timeline.stitch = real  # only the first stitch
        os.kill(os.getpid(), signal.SIGINT)
        return real(*args, **kwargs)

    timeline.stitch = stitch


def main(work, budget):
    chk = work / "checkpoints"
    if os.environ.get("CTRL_C_IN_STITCH"):
        ctrl_c_when_the_stitch_starts()
    if list(chk.glob("*.tar.gz")):
        manager = GloMPOManager.load_manager(chk, convergence_checker=MaxFuncCalls(budget))
        print("RESUMED", manager.state.f_counter, flush=True)
    else:
        manager = GloMPOManager.new_manager(
            task=Sphere(work), bounds=[(-5, 5)] * 3,
            opt_selector=CycleSelector((CMAOptimizer, {"popsize": 6}), RandomOptimizer),
            working_dir=work, executor=os.environ.get("EXECUTOR", "threads"), max_jobs=2, seed=3,
            convergence_checker=MaxFuncCalls(budget),
            checkpoint_control=CheckpointingControl(
                checkpoint_iter_frequency=float(os.environ.get("ITER_FREQUENCY", "inf")),
                naming_format="c_%(count)", checkpointing_dir=chk,
            ),
            summary_files=3, visualisation=True,
            visualisation_args={"record_movie": True, "movie_kwargs": {"dpi": 30}},
        )
    try:
        result = manager.start_manager()
    except KeyboardInterrupt:
        print("ABORTED", flush=True)
        return
    state = "INTERRUPTED" if result.interrupted else "DONE"
    stats = result.stats
    print(state, stats["f_counter"], stats["interrupt_checkpoint"], stats["interrupt_signal"],
          stats["optimizers_crashed"])


main(Path(sys.argv[1]), int(sys.argv[2]))
"""


def _start(tmp_path: Path, budget: int, **env: str) -> subprocess.Popen:
    """Start the driver in a process group of its own, like a job started from a terminal."""
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    return subprocess.Popen(
        [sys.executable, str(driver), str(tmp_path / "run"), str(budget)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
        start_new_session=True,
    )


# CPython before 3.12.8 / 3.13.1: at exit, the hook of a process pool shut down without waiting
# may wake it through a pipe its thread just closed (python/cpython#125451, not ours); the
# manager does not wait, as an evaluation still running may outlast a scheduler's grace time
_POOL_EXIT_RACE = re.compile(
    r"Exception ignored in: <function _python_exit at 0x[0-9a-f]+>\nTraceback[^\n]*\n"
    r"(?:  [^\n]*\n)*OSError: \[Errno 9\] Bad file descriptor\n"
)


def _finish(proc: subprocess.Popen, timeout: float = 120) -> list[str]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out + err
    err = _POOL_EXIT_RACE.sub("", err)
    assert "Traceback" not in err, err
    return out.split()


def _log_call_ids(work: Path) -> np.ndarray:
    with h5py.File(work / "glompo_log.h5", "r") as log:
        ids = [log[name]["iter_history"]["call_id"] for name in log if name.startswith("optim")]
        return np.sort(np.concatenate(ids))


def _resume(tmp_path: Path, budget: int, f_counter: int) -> None:
    words = _finish(_start(tmp_path, budget))
    assert words[:2] == ["RESUMED", str(f_counter)]
    assert words[2:4] == ["DONE", str(budget)] and words[-1] == "0"
    work = tmp_path / "run"
    np.testing.assert_array_equal(_log_call_ids(work), np.arange(1, budget + 1))
    assert (work / "glomporecording.mp4").stat().st_size > 0


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_ctrl_c_checkpoints_closes_the_segment_and_the_run_resumes(tmp_path, executor):
    proc = _start(tmp_path, 100_000, ITER_FREQUENCY="100", EXECUTOR=executor)
    work = tmp_path / "run"
    wait_for_file(work / "checkpoints" / "c_000.tar.gz", proc)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: to every process of the job
    state, f_counter, checkpoint, signame, crashed = _finish(proc)
    assert (state, signame, crashed) == ("INTERRUPTED", "SIGINT", "0")
    assert read_meta(Path(checkpoint))["f_counter"] == int(f_counter) >= 100
    np.testing.assert_array_equal(_log_call_ids(work), np.arange(1, int(f_counter) + 1))
    manifest = json.loads((work / "checkpoints" / "movie_manifest.json").read_text())
    segments = manifest["segments"]
    assert all(s["status"] == "complete" and s["checkpoint"] for s in segments), segments
    starts, ends = ([s[key] for s in segments] for key in ("f_counter_start", "f_counter_end"))
    assert starts[1:] == ends[:-1]  # contiguous: no evaluation without its frames
    # the last checkpoint closed the last segment, or one without frames that was removed
    args = validate_visualisation_args({"record_movie": True})
    grid = FrameGrid(args["events_per_flush"], args["max_frames"])
    closed_by_last = segments[-1]["checkpoint"] == Path(checkpoint).name[:-7]
    assert closed_by_last or not list(grid.boundaries(ends[-1], int(f_counter)))
    _resume(tmp_path, int(f_counter) + 150, int(f_counter))


def test_a_second_ctrl_c_aborts_at_once_and_leaves_no_torn_checkpoint(tmp_path):
    proc = _start(tmp_path, 100_000, PICKLE_SLOWLY="1")
    work = tmp_path / "run"
    wait_for_file(work / "READY", proc)
    proc.send_signal(signal.SIGINT)
    wait_for_file(work / "PICKLING", proc)  # the checkpoint is being written
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert _finish(proc) == ["ABORTED"]
    assert time.monotonic() - start < 10  # not after the 30 s of pickling
    assert list((work / "checkpoints").glob("*.tar.gz*")) == []
    call_ids = _log_call_ids(work)  # the log was closed in order, every row once
    np.testing.assert_array_equal(call_ids, np.arange(1, len(call_ids) + 1))
    assert len(call_ids) >= 40


def test_ctrl_c_during_the_final_stitch_keeps_the_finished_run(tmp_path):
    budget = 300
    proc = _start(tmp_path, budget, ITER_FREQUENCY="100", CTRL_C_IN_STITCH="1")
    state, f_counter, checkpoint, signame, _ = _finish(proc)
    assert (state, int(f_counter), signame) == ("INTERRUPTED", budget, "SIGINT")
    assert read_meta(Path(checkpoint))["f_counter"] == budget
    work = tmp_path / "run"
    assert not (work / "glomporecording.mp4").exists()
    assert [p.name for p in work.iterdir() if ".tmp-" in p.name] == []
    np.testing.assert_array_equal(_log_call_ids(work), np.arange(1, budget + 1))
    _resume(tmp_path, budget, budget)


RUN_SPEC = """
import os, signal, time

import numpy as np

from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import RandomOptimizer


def sphere(x):
    time.sleep(0.002)
    return float(np.sum(np.asarray(x) ** 2))


def new_manager(working_dir, checkpointing_dir):
    {kill}
    return GloMPOManager.new_manager(
        task=sphere, bounds=[(-5, 5)] * 3, opt_selector=CycleSelector(RandomOptimizer),
        working_dir=working_dir, executor="threads", max_jobs=2, seed=3,
        convergence_checker=MaxFuncCalls({budget}), summary_files=3,
        checkpoint_control=CheckpointingControl(
            checkpoint_iter_frequency=100, naming_format="c_%(count)",
            checkpointing_dir=checkpointing_dir,
        ),
    )
"""


@pytest.mark.parametrize("when", ["in the run", "before the run"])
def test_glompo_scope_chkpt_run_exits_130_on_ctrl_c_and_resumes(tmp_path, when):
    spec, work, budget = tmp_path / "opt.py", tmp_path / "run", 3000
    kill = "os.kill(os.getpid(), signal.SIGINT)" if when == "before the run" else ""
    spec.write_text(RUN_SPEC.format(kill=kill, budget=budget))
    command = [sys.executable, "-m", "glompo_scope_chkpt.cli", "run", str(spec)]
    command += ["--working-dir", str(work)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if when == "in the run":
        wait_for_file(work / "checkpoints" / "c_000.tar.gz", proc)
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err, err
    if when == "in the run":
        stats = json.loads((work / "glompo_result.json").read_text())["stats"]
        assert stats["interrupt_signal"] == "SIGINT" and 100 <= stats["f_counter"] < budget
        assert read_meta(Path(stats["interrupt_checkpoint"]))["f_counter"] == stats["f_counter"]
    else:
        assert "Ctrl-C before the run started" in out
    spec.write_text(RUN_SPEC.format(kill="", budget=budget))
    again = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    result = json.loads((work / "glompo_result.json").read_text())
    assert result["finished"] and result["stats"]["f_counter"] == budget
    np.testing.assert_array_equal(_log_call_ids(work), np.arange(1, budget + 1))
