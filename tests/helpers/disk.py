"""Small disks to fill: a tmpfs mounted by the test (root only), a task that fills it mid-run.

Also a seeded run to start or resume in a fresh process (``python -m tests.helpers.disk CONFIG``,
CONFIG a JSON object of :func:`run` keywords) and a reader of a log's rows, to compare runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from glompo_scope_chkpt.engine.replay import REPLAYED_MESSAGE
from tests.helpers.paths import REPO_ROOT
from tests.helpers.tasks import rastrigin

__all__ = ["FillsDisk", "fill", "log_rows", "resize_tmpfs", "run", "run_process", "small_tmpfs"]


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str) -> Iterator[Path]:
    """Mount a tmpfs of ``size`` (e.g. ``"16m"``) at ``where``; skip the test unless root."""
    if os.geteuid() != 0:
        pytest.skip("filling a disk needs a small tmpfs, and mounting one needs root")
    if shutil.which("mount") is None:
        pytest.skip("no mount command to mount a small tmpfs")
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def resize_tmpfs(where: Path, size: str) -> None:
    """Give the tmpfs mounted at ``where`` another size."""
    subprocess.run(["mount", "-o", f"remount,size={size}", str(where)], check=True)


def fill(path: Path) -> None:
    """Write zeros to ``path`` until its disk is full (to the last byte it takes)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for block in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, bytes(block))
    finally:
        os.close(fd)


class FillsDisk:
    """``rastrigin`` that fills the disk of ``filler`` at call ``at`` and frees it at ``free_at``.

    The call that fills lasts ``stall`` seconds longer. At call ``kill_at`` it SIGKILLs its own
    process instead. The calls count from 1 in each process; 0 never fills (frees, kills).
    """

    def __init__(
        self, filler: str, at: int = 0, free_at: int = 0, kill_at: int = 0, stall: float = 0.0
    ) -> None:
        self.filler, self.at, self.free_at, self.kill_at = filler, at, free_at, kill_at
        self.stall, self.calls = stall, 0

    def __call__(self, x: np.ndarray) -> float:
        self.calls += 1
        if self.calls == self.at:
            fill(Path(self.filler))
            time.sleep(self.stall)
        if self.calls == self.free_at:
            Path(self.filler).unlink()
        if self.calls == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return rastrigin(x)


def run(
    work: str,
    filler: str = "",
    at: int = 0,
    free_at: int = 0,
    resume: bool = False,
    summary_files: int = 3,
    movie: bool = False,
    raise_checkpoint_fail: bool = True,
    calls: int = 2000,
    kill_at: int = 0,
    stall: float = 0.0,
) -> dict[str, Any]:
    """Start (or resume, from the newest checkpoint) a seeded serial run in ``work``."""
    from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
    from glompo_scope_chkpt.convergence import MaxFuncCalls
    from glompo_scope_chkpt.hunters import StagnationHunter
    from glompo_scope_chkpt.opt_selectors import CycleSelector
    from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer

    task = FillsDisk(filler, at, free_at, kill_at, stall)
    checkpoints = Path(work) / "checkpoints"
    if resume:
        manager = GloMPOManager.load_manager(checkpoints, task=task)
    else:
        manager = GloMPOManager.new_manager(
            task=task,
            bounds=[(-5.12, 5.12)] * 4,
            opt_selector=CycleSelector(
                (CMAOptimizer, {"popsize": 6}), (RandomOptimizer, {"max_evals": 150})
            ),
            working_dir=work,
            executor="serial",
            max_jobs=3,
            seed=7,
            hunter=StagnationHunter(patience=80),
            convergence_checker=MaxFuncCalls(calls),
            checkpoint_control=CheckpointingControl(
                checkpoint_iter_frequency=500,
                raise_checkpoint_fail=raise_checkpoint_fail,
                naming_format="chk_%(count)",
                checkpointing_dir=checkpoints,
            ),
            summary_files=summary_files,
            visualisation=movie,
            visualisation_args={
                "record_movie": movie,
                "events_per_flush": 10,
                "movie_kwargs": {"dpi": 30},
            },
        )
    result = manager.start_manager()
    return {"f_counter": result.stats["f_counter"], "fx": result.fx, "x": list(result.x)}


def run_process(timeout: float = 300, **config: Any) -> subprocess.CompletedProcess:
    """Run :func:`run` in a fresh Python process; return it with its output as text."""
    path = [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    env["MPLBACKEND"] = "Agg"
    return subprocess.run(
        [sys.executable, "-m", "tests.helpers.disk", json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
        env=env,
    )


def log_rows(path: Path) -> dict[int, dict[str, Any]]:
    """Every optimizer's valid rows (``call_id``, ``x``, ``fx``), attributes and messages count.

    The count leaves out the messages marking replayed rows, which only a resumed run has.
    """
    found: dict[int, dict[str, Any]] = {}
    with h5py.File(path, "r") as f:
        for name, group in f.items():
            rows, counted = group["iter_history"], int(group.attrs["n_rows"])
            assert rows.shape[0] == counted, f"{name}: {rows.shape[0]} rows, {counted} valid"
            data = rows[()]
            found[int(name.split("_")[1])] = {
                "call_id": data["call_id"].tolist(),
                "x": data["x"].tolist(),
                "fx": data["fx"].tolist(),
                "end": (int(group.attrs["end_call"]), str(group.attrs["end_reason"])),
                "messages": sum(  # the run's own: a resume marks the rows it replayed
                    not text.decode().startswith(f"{REPLAYED_MESSAGE}:")
                    for _, text in group["messages"][()]
                ),
            }
    return found


if __name__ == "__main__":
    print(json.dumps(run(**json.loads(sys.argv[1]))), flush=True)
