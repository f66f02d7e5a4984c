"""Evaluations on a Dask cluster: checkpoints with evaluations in flight, resume elsewhere.

The cluster is a ``LocalCluster`` with worker processes and the manager gets its
``Client.get_executor()``, as users do with a real cluster. Skipped only if Dask is not installed
(``pip install -e ".[dask]"``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dill
import numpy as np
import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.cli.demo import DemoTask
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.errors import InvalidSettingError
from glompo_scope_chkpt.log.writer import read_log
from tests.helpers.tasks import slow_sphere

distributed = pytest.importorskip("distributed", reason="Dask is an optional extra: .[dask]")

pytestmark = pytest.mark.slow

MAX_JOBS = 6
"""Evaluations in flight: more than the two workers run, so some always wait on the cluster."""
BUDGET = 600


@contextlib.contextmanager
def local_cluster() -> Iterator[tuple[distributed.Client, set[int]]]:
    """Two single-threaded worker processes and a client; closed on exit.

    Yields
    ------
    client, worker_pids
    """
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    try:
        yield client, set(client.run(os.getpid).values())
    finally:
        client.close()
        cluster.close()
        assert cluster.status.name == "closed" and client.status == "closed"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _assert_gone(pids: set[int], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if _alive(pid)}
        time.sleep(0.05)
    assert not alive, f"Dask worker processes {alive} survived the cluster"


def _saved_state(path: Path):
    with tarfile.open(path, "r:gz") as tar:
        return dill.loads(tar.extractfile("manager.pkl").read())["state"]


def _call_ids(path: Path) -> np.ndarray:
    log = read_log(path)
    return np.sort(np.concatenate([opt["call_id"] for opt in log["optimizers"].values()]))


def _signal_after(checkpoint: Path, signum: int = signal.SIGUSR1) -> threading.Thread:
    """Send ``signum`` to this process once ``checkpoint`` exists, as a scheduler would."""

    def watch() -> None:
        deadline = time.monotonic() + 60
        while not checkpoint.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signum)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_cluster_run_checkpoints_in_flight_evaluations_and_resumes_on_threads(make_manager):
    with local_cluster() as (client, workers):
        manager = make_manager(
            task=slow_sphere,
            executor=client.get_executor(),
            max_jobs=MAX_JOBS,
            summary_files=3,
            convergence_checker=MaxFuncCalls(BUDGET),
            control={"checkpoint_iter_frequency": 100},
        )
        folder = manager.settings.checkpoint_control.checkpointing_dir
        watcher = _signal_after(folder / "chk_001.tar.gz")
        first = manager.start_manager()
        watcher.join()
    _assert_gone(workers)
    assert first.interrupted and 200 <= first.stats["f_counter"] < BUDGET

    # Evaluation-frequency checkpoints are taken while the other evaluations run on the cluster.
    for name in ("chk_000", "chk_001"):
        state = _saved_state(folder / f"{name}.tar.gz")
        assert 1 <= len(state.pending) < MAX_JOBS
        assert len({ev.eval_id for ev in state.pending}) == len(state.pending)
        assert all(ev.opt_id in state.optimizers and ev.x.shape == (4,) for ev in state.pending)
    on_signal = _saved_state(folder / "chk_002.tar.gz")
    assert on_signal.f_counter == first.stats["f_counter"]
    assert len(on_signal.pending) <= MAX_JOBS

    with pytest.raises(InvalidSettingError, match="pass executor="):
        GloMPOManager.load_manager(folder)
    resumed = GloMPOManager.load_manager(folder, executor="threads")
    assert resumed.start_manager().stats["f_counter"] == BUDGET

    log_path = manager.settings.working_dir / "glompo_log.h5"
    np.testing.assert_array_equal(_call_ids(log_path), np.arange(1, BUDGET + 1))
    rows = read_log(log_path)["optimizers"]
    for ev in on_signal.pending:  # each was evaluated again after the resume, and logged once
        mine = rows[ev.opt_id]
        hits = mine["call_id"][np.all(mine["x"] == ev.x, axis=1)]
        assert len(hits) == 1 and hits[0] > on_signal.f_counter


def test_older_checkpoint_resumes_on_a_cluster_with_the_log_rolled_back(make_manager):
    manager = make_manager(
        task=slow_sphere,
        executor="threads",
        max_jobs=MAX_JOBS,
        summary_files=3,
        control={"checkpoint_iter_frequency": 200},
    )
    manager.start_manager()
    folder = manager.settings.checkpoint_control.checkpointing_dir
    with local_cluster() as (client, workers):
        resumed = GloMPOManager.load_manager(
            folder / "chk_000.tar.gz", executor=client.get_executor()
        )
        with pytest.warns(UserWarning, match="moved to"):
            assert resumed.start_manager().stats["f_counter"] == BUDGET
    _assert_gone(workers)
    log_path = manager.settings.working_dir / "glompo_log.h5"
    np.testing.assert_array_equal(_call_ids(log_path), np.arange(1, BUDGET + 1))


def _tasks_on(client: distributed.Client) -> int:
    return client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))


def test_an_interrupted_session_leaves_no_evaluations_on_the_cluster(make_manager):
    with local_cluster() as (client, workers):
        manager = make_manager(
            task=DemoTask(delay=1.0),  # 2 workers, 6 in flight: 4 wait a second or more
            executor=client.get_executor(),
            max_jobs=MAX_JOBS,
            control={},
        )
        timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGUSR1))
        timer.start()
        result = manager.start_manager()
        timer.join()
        assert result.interrupted
        deadline = time.monotonic() + 0.5
        while _tasks_on(client) and time.monotonic() < deadline:
            time.sleep(0.02)
        left = _tasks_on(client)
    _assert_gone(workers)
    assert left == 0, f"{left} evaluations recorded as pending still run on the cluster"
