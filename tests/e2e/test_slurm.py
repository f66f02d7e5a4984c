"""scripts/slurm_job.sh on a real single-node SLURM: signal, checkpoint, requeue, resume, finish.

The first tests run the job script and its driver without SLURM (exit codes, resume, nothing
left to do once finished). The last one installs and starts SLURM through
``scripts/slurm_setup.sh`` (as root, with apt-get) or reuses one that runs, submits a job with a
one-minute limit whose optimization needs more than one run, and checks that the run ends with
one result, one log holding every evaluation once and one movie stitched from the segments of
several runs. Daemons the test started are stopped at the end; nothing else is.
``GLOMPO_SLURM_TEST=0`` skips the SLURM test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from glompo_scope_chkpt.log.writer import read_log
from tests.helpers.media import decode
from tests.helpers.paths import REPO_ROOT

pytestmark = pytest.mark.slow

SCRIPTS = REPO_ROOT / "scripts"
EVALUATIONS = 3000
"""3000 calls of 20 ms on two threads: ~32 s of work, more than one run of a one-minute job
warned 30 s before its end can do, so the job must be requeued at least once."""
JOB_DEADLINE = 240.0
"""Seconds the test waits for the job (it takes about a minute)."""
FINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"}

SPEC = """
from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.cli.demo import DemoTask
from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
from glompo_scope_chkpt.opt_selectors import CycleSelector


def new_manager(working_dir, checkpointing_dir):
    return GloMPOManager.new_manager(
        task=DemoTask(delay=0.02),
        bounds=[(-5.12, 5.12)] * 4,
        opt_selector=CycleSelector(
            (CMAOptimizer, {{"popsize": 8}}), (RandomOptimizer, {{"max_evals": 300}})
        ),
        working_dir=working_dir,
        executor="threads",
        max_jobs=2,
        seed=1,
        convergence_checker=MaxFuncCalls({evaluations}),
        checkpoint_control=CheckpointingControl(
            checkpoint_iter_frequency=600, checkpointing_dir=checkpointing_dir,
            naming_format="job_%(count)",
        ),
        summary_files=3,
        visualisation=True,
        visualisation_args={{
            "record_movie": True, "events_per_flush": 20, "movie_kwargs": {{"dpi": 40}}
        }},
    )
"""


LOCAL_SPEC = """
from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.cli.demo import DemoTask
from glompo_scope_chkpt.optimizers import CMAOptimizer
from glompo_scope_chkpt.opt_selectors import CycleSelector


def new_manager(working_dir, checkpointing_dir):
    return GloMPOManager.new_manager(
        task=DemoTask(delay=0.005), bounds=[(-5.12, 5.12)] * 3,
        opt_selector=CycleSelector(CMAOptimizer), working_dir=working_dir,
        executor="threads", max_jobs=2, seed=3, convergence_checker=MaxFuncCalls(800),
        checkpoint_control=CheckpointingControl(
            checkpoint_iter_frequency=100, checkpointing_dir=checkpointing_dir
        ),
        summary_files=3,
    )
"""


def _local_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    env.update(GLOMPO_PYTHON=sys.executable)
    return env


def _job(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["bash", str(SCRIPTS / "slurm_job.sh"), *args],
        cwd=tmp_path,
        env=_local_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_job_script_checkpoints_on_usr1_and_the_next_run_finishes(tmp_path):
    (tmp_path / "opt.py").write_text(LOCAL_SPEC)
    work = tmp_path / "run"
    first = _job(tmp_path, "opt.py", str(work))
    deadline = time.monotonic() + 60
    while not list(work.glob("checkpoints/*.tar.gz")) and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGUSR1)  # to the script, as --signal=B:USR1 does
    out, _ = first.communicate(timeout=60)
    assert first.returncode == 75, out
    assert "received SIGUSR1" in out and "not running under SLURM" in out
    interrupted = json.loads((work / "glompo_result.json").read_text())
    assert interrupted["interrupted"] and not interrupted["finished"]

    second = _job(tmp_path, "opt.py", str(work))
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 0, out
    assert "resuming from" in out
    result = json.loads((work / "glompo_result.json").read_text())
    assert result["finished"] and result["stats"]["f_counter"] == 800
    assert result["stats"]["sessions"] == 2
    log = read_log(work / "glompo_log.h5")
    call_ids = np.sort(np.concatenate([opt["call_id"] for opt in log["optimizers"].values()]))
    np.testing.assert_array_equal(call_ids, np.arange(1, 801))

    third = _job(tmp_path, "opt.py", str(work))
    out, _ = third.communicate(timeout=60)
    assert third.returncode == 0 and "nothing to do" in out


def test_driver_refuses_an_optimization_file_without_new_manager(tmp_path):
    (tmp_path / "opt.py").write_text("x = 1\n")
    job = _job(tmp_path, "opt.py", str(tmp_path / "run"))
    out, _ = job.communicate(timeout=60)
    assert job.returncode == 2
    assert "must define new_manager(working_dir, checkpointing_dir)" in out
    assert "requeue" not in out


def _skip_reason() -> str | None:
    if os.environ.get("GLOMPO_SLURM_TEST") == "0":
        return "GLOMPO_SLURM_TEST=0"
    if shutil.which("sbatch"):
        return None
    if os.geteuid() != 0:
        return "sbatch is not installed and installing SLURM needs root"
    if shutil.which("apt-get") is None:
        return "sbatch is not installed and there is no apt-get to install SLURM"
    return None


@pytest.fixture(scope="module")
def slurm() -> Iterator[None]:
    """A running single-node SLURM: reused if one runs, else installed and started (and
    stopped again afterwards)."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    setup = ["bash", str(SCRIPTS / "slurm_setup.sh")]
    proc = subprocess.run(setup, capture_output=True, text=True, timeout=900, check=False)
    if proc.returncode == 2:
        pytest.skip(f"SLURM cannot be set up here: {proc.stderr.strip()}")
    assert proc.returncode == 0, f"slurm_setup.sh failed:\n{proc.stdout}\n{proc.stderr}"
    started = "SLURM_SETUP=started" in proc.stdout
    yield
    if started:
        subprocess.run([*setup, "--stop"], capture_output=True, timeout=60, check=False)


def _job_fields(job_id: str) -> dict[str, str]:
    out = subprocess.run(
        ["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True, check=False
    ).stdout
    fields = {}
    for item in out.split():
        key, _, value = item.partition("=")
        fields[key] = value
    return fields


def _wait_for(job_id: str, output: Path) -> dict[str, str]:
    deadline = time.monotonic() + JOB_DEADLINE
    fields: dict[str, str] = {}
    while time.monotonic() < deadline:
        fields = _job_fields(job_id)
        if fields.get("JobState") in FINAL_STATES:
            return fields
        time.sleep(1)
    subprocess.run(["scancel", job_id], check=False)
    tail = output.read_text(errors="replace")[-3000:] if output.exists() else "(no output)"
    pytest.fail(f"job {job_id} not done after {JOB_DEADLINE:.0f} s ({fields}):\n{tail}")


def test_job_is_signalled_checkpoints_requeues_and_finishes_with_one_movie(slurm, tmp_path):
    (tmp_path / "opt.py").write_text(textwrap.dedent(SPEC.format(evaluations=EVALUATIONS)))
    output, work = tmp_path / "job.out", tmp_path / "run"
    env = {
        **os.environ,
        "GLOMPO_PYTHON": sys.executable,
        "MPLBACKEND": "Agg",
    }
    submit = [
        "sbatch", "--parsable", "--time=1", "--signal=B:USR1@30", "--job-name=glompo-test",
        f"--output={output}", f"--chdir={tmp_path}",
        str(SCRIPTS / "slurm_job.sh"), "opt.py", str(work),
    ]  # fmt: skip
    started = time.monotonic()
    job_id = subprocess.run(
        submit, capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    job_id = job_id.split(";")[0]
    fields = _wait_for(job_id, output)
    elapsed = time.monotonic() - started
    text = output.read_text()
    print(f"SLURM job {job_id}: {fields.get('JobState')} after {elapsed:.1f} s, "
          f"{fields.get('Restarts')} restart(s)")  # fmt: skip

    assert fields["JobState"] == "COMPLETED", text[-3000:]
    assert int(fields["Restarts"]) >= 1
    assert "SLURM_RESTART_COUNT=0" in text and "SLURM_RESTART_COUNT=1" in text
    assert "driver exited with 75" in text and "requeueing job" in text

    result = json.loads((work / "glompo_result.json").read_text())
    assert result["finished"] and not result["interrupted"]
    assert result["stats"]["f_counter"] == EVALUATIONS
    assert result["stats"]["sessions"] >= 2

    manifest = json.loads((work / "checkpoints" / "movie_manifest.json").read_text())
    complete = [s for s in manifest["segments"] if s["status"] == "complete"]
    assert not [s for s in manifest["segments"] if s["status"] == "recording"]
    assert len({s["session"] for s in complete}) >= 2
    frames, errors = decode(result["stats"]["movie"])
    assert errors == ""
    assert frames == sum(s["frames"] for s in complete)

    log = read_log(work / "glompo_log.h5")
    call_ids = np.sort(np.concatenate([opt["call_id"] for opt in log["optimizers"].values()]))
    np.testing.assert_array_equal(call_ids, np.arange(1, EVALUATIONS + 1))
