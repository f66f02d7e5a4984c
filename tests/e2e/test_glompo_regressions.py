"""The failures measured in GloMPO 3.1.1 (shared notes, "What broke"), one test each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.log.writer import read_log
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import CMAOptimizer
from tests.helpers.media import decode

VIS = {"record_movie": True, "events_per_flush": 10, "movie_kwargs": {"dpi": 40}}


def test_1_resume_into_another_working_dir_keeps_the_first_movie_parts(make_manager, tmp_path):
    manager = make_manager(
        visualisation=True, visualisation_args=VIS, control={"checkpoint_iter_frequency": 300}
    )
    first = Path(manager.start_manager().stats["movie"])
    before = first.read_bytes()
    resumed = GloMPOManager.load_manager(
        manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz",
        working_dir=tmp_path / "second",
    )
    second = Path(resumed.start_manager().stats["movie"])
    assert second == tmp_path / "second" / "glomporecording.mp4"
    assert first.read_bytes() == before
    frames, errors = decode(second)
    assert errors == "" and frames > 0


def test_3_resumed_cma_optimizers_keep_running(make_manager):
    manager = make_manager(
        opt_selector=CycleSelector((CMAOptimizer, {"sigma0": 0.7, "popsize": 6})),
        hunter=None,
        control={"checkpoint_iter_frequency": 300},
    )
    manager.start_manager()
    resumed = GloMPOManager.load_manager(
        manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz"
    )
    running = [r.opt_id for r in resumed.state.optimizers.values() if r.running]
    assert running
    resumed.start_manager()
    assert resumed.state.count("crashed") == 0
    for opt_id in running:
        assert resumed.state.optimizers[opt_id].n_evals > 0


def test_4_log_counter_agrees_with_the_manager_after_resume(make_manager):
    manager = make_manager(
        executor="threads", summary_files=3, control={"checkpoint_iter_frequency": 250}
    )
    manager.start_manager()
    resumed = GloMPOManager.load_manager(
        manager.settings.checkpoint_control.checkpointing_dir,
        convergence_checker=MaxFuncCalls(900),
    )
    with pytest.warns(UserWarning, match="held evaluations after checkpoint"):
        resumed.start_manager()
    log = read_log(manager.settings.working_dir / "glompo_log.h5")
    ids = np.concatenate([o["call_id"] for o in log["optimizers"].values()])
    assert len(ids) == len(set(ids.tolist())) == 900
    assert int(log["attrs"]["f_counter"]) == resumed.state.f_counter == 900


def test_6_visualised_run_ends_with_summaries_and_result(make_manager):
    manager = make_manager(visualisation=True, visualisation_args=VIS, summary_files=3)
    result = manager.start_manager()
    folder = manager.settings.working_dir
    for name in ("glompo_log.h5", "glompo_manager_log.yml", "trajectories.png"):
        assert (folder / name).exists(), name
    assert np.isfinite(result.fx)


def test_7_optimizers_stopping_on_their_own_with_small_summary_files(make_manager):
    manager = make_manager(
        opt_selector=CycleSelector(
            (CMAOptimizer, {"popsize": 6, "cma_options": {"maxfevals": 60}})
        ),
        summary_files=1,
        convergence_checker=MaxFuncCalls(800),
    )
    result = manager.start_manager()
    assert result.stats["optimizers_converged"] >= 1
    summary = (manager.settings.working_dir / "glompo_manager_log.yml").read_text()
    assert "converged" in summary


@pytest.mark.parametrize("frequency", [200, 300])
def test_8_no_checkpoint_at_the_cap_and_none_repeated_after_resume(make_manager, frequency):
    manager = make_manager(control={"checkpoint_iter_frequency": frequency})
    manager.start_manager()
    counts = [c.f_counter for c in manager.state.checkpoints]
    assert counts == list(range(frequency, 600, frequency))
    folder = manager.settings.checkpoint_control.checkpointing_dir
    resumed = GloMPOManager.load_manager(folder, convergence_checker=MaxFuncCalls(600 + frequency))
    resumed.start_manager()
    new = [c.f_counter for c in resumed.state.checkpoints][len(counts) :]
    assert new == list(range(counts[-1] + frequency, 600 + frequency, frequency))
