"""Signals that arrive while the manager writes its outputs wait until the outputs are written.

A real child process runs a recorded optimization with its HDF5 log and summary files; the test
sends it two SIGTERMs in quick succession. The first checkpoints and stops the run; the second
arrives while the manager closes the movie segment, the log and writes the summaries. The child
must finish writing them and return from ``start_manager`` as after one SIGTERM (the script then
exits 0), with a summary, a log that opens, and a checkpoint that loads.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from glompo_scope_chkpt import GloMPOManager
from tests.helpers.paths import REPO_ROOT
from tests.helpers.procs import processes_mentioning, wait_for_file, wait_gone

DRIVER = """
import os, signal, sys, time
from pathlib import Path

from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
from tests.helpers.tasks import MarksCall


def sigterm_while_closing():
    \"\"\"Send the second SIGTERM from inside the closing, once the loop has stopped.\"\"\"
    import glompo_scope_chkpt.core.session as session

    real = session._close_outputs

    def close_outputs(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)  # the signal is handled now, while the outputs are not yet written
        return real(*args, **kwargs)

    session._close_outputs = close_outputs


work = Path(sys.argv[1])
if os.environ.get("TERM_WHILE_CLOSING"):
    sigterm_while_closing()
manager = GloMPOManager.new_manager(
    task=MarksCall(60, work / "READY"), bounds=[(-5, 5)] * 3,
    opt_selector=CycleSelector((CMAOptimizer, {"popsize": 6}), RandomOptimizer),
    working_dir=work, executor="threads", max_jobs=2, seed=3,
    convergence_checker=MaxFuncCalls(1_000_000),
    checkpoint_control=CheckpointingControl(
        checkpoint_iter_frequency=100, naming_format="c_%(count)",
        checkpointing_dir=work / "checkpoints",
    ),
    summary_files=3, visualisation=True,
    visualisation_args={"record_movie": True, "movie_kwargs": {"dpi": 30}},
)
result = manager.start_manager()
Path(work, "RETURNED").write_text("")
print("INTERRUPTED" if result.interrupted else "DONE", flush=True)
"""


def _start(tmp_path: Path, **env: str) -> subprocess.Popen:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    python_path = os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, str(driver), str(tmp_path / "run")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env, "PYTHONPATH": python_path},
    )


def _check_outputs(proc: subprocess.Popen, work: Path) -> None:
    """start_manager returned after one SIGTERM's checkpoint, with every output complete.

    A second SIGTERM that arrives once start_manager has returned meets the script's own
    handling (Python's default: exit -15); one that arrives before must not stop the process.
    """
    out, err = proc.communicate(timeout=120)
    returned = (work / "RETURNED").exists()
    assert proc.returncode == 0 or (proc.returncode == -signal.SIGTERM and returned), (
        f"exit {proc.returncode}\n{out}\n{err}"
    )
    assert "Traceback" not in err, err
    stats = yaml.safe_load((work / "glompo_manager_log.yml").read_text())["stats"]
    assert stats["end_reason"].startswith("interrupted by SIGTERM; checkpoint")
    f_counter, checkpoint = stats["f_counter"], stats["checkpoints"][-1]
    assert (work / "trajectories.png").stat().st_size > 0
    with h5py.File(work / "glompo_log.h5", "r") as log:
        ids = [log[name]["iter_history"]["call_id"] for name in log if name.startswith("optim")]
    np.testing.assert_array_equal(np.sort(np.concatenate(ids)), np.arange(1, f_counter + 1))
    assert GloMPOManager.load_manager(checkpoint).state.f_counter == f_counter
    wait_gone(processes_mentioning(str(work)))


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.6, 1.0])
def test_a_second_sigterm_waits_for_the_outputs(tmp_path: Path, delay: float) -> None:
    proc = _start(tmp_path)
    work = tmp_path / "run"
    wait_for_file(work / "READY", proc)
    proc.send_signal(signal.SIGTERM)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    _check_outputs(proc, work)


def test_a_sigterm_during_the_closing_is_held(tmp_path: Path) -> None:
    proc = _start(tmp_path, TERM_WHILE_CLOSING="1")
    work = tmp_path / "run"
    wait_for_file(work / "READY", proc)
    proc.send_signal(signal.SIGTERM)
    _check_outputs(proc, work)
