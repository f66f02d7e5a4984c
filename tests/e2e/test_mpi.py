"""Evaluations on MPI workers through ``mpi4py.futures.MPIPoolExecutor``, resumed on threads.

The pool spawns its workers (MPI dynamic processes; the bundled MPICH runs them as a singleton,
no ``mpiexec`` needed). Skipped only if mpi4py is not installed (``pip install -e ".[mpi]"``).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.log.writer import read_log
from tests.helpers.paths import REPO_ROOT
from tests.helpers.tasks import PidRecordingSphere

futures = pytest.importorskip("mpi4py.futures", reason="MPI is an optional extra: .[mpi]")

pytestmark = pytest.mark.slow


def test_mpi_workers_evaluate_checkpoint_and_the_run_resumes_on_threads(make_manager, tmp_path):
    record = tmp_path / "pids.txt"
    # the workers import the task from tests/helpers/tasks.py
    with futures.MPIPoolExecutor(max_workers=2, path=[str(REPO_ROOT)]) as pool:
        manager = make_manager(
            task=PidRecordingSphere(record),
            executor=pool,
            max_jobs=2,
            summary_files=3,
            convergence_checker=MaxFuncCalls(200),
            control={"checkpoint_iter_frequency": 100},
        )
        assert manager.start_manager().stats["f_counter"] == 200
    pids = {int(line) for line in record.read_text().split()}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2

    folder = manager.settings.checkpoint_control.checkpointing_dir
    resumed = GloMPOManager.load_manager(
        folder / "chk_000.tar.gz", executor="threads", convergence_checker=MaxFuncCalls(300)
    )
    with pytest.warns(UserWarning, match="moved to"):  # the log is opened again at start
        assert resumed.start_manager().stats["f_counter"] == 300
    rows = read_log(manager.settings.working_dir / "glompo_log.h5")["optimizers"].values()
    call_ids = np.sort(np.concatenate([opt["call_id"] for opt in rows]))
    np.testing.assert_array_equal(call_ids, np.arange(1, 301))
