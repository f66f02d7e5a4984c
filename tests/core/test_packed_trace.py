"""Ended optimizers' traces are packed: exact, about half the bytes, readable while packed."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.core.history import History, Trace
from glompo_scope_chkpt.core.packed_trace import PackedTrace
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import RandomOptimizer
from glompo_scope_chkpt.scope.cursor import HistoryCursor
from tests.helpers.tasks import sphere


def _random_trace(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    call_ids = np.cumsum(rng.integers(1, 9, n)).astype(np.int64)
    fx = (rng.uniform(-5, 5, (n, 5)) ** 2).sum(axis=1)
    return call_ids, fx


def test_packing_gives_back_every_value_bit_for_bit() -> None:
    call_ids = np.array([1, 2, 10, 2**40, 2**40 + 3], dtype=np.int64)
    fx = np.array([np.nan, -0.0, np.inf, -np.inf, 5e-324])
    packed = PackedTrace.pack(call_ids, fx)
    back_ids, back_fx = packed.unpack()
    np.testing.assert_array_equal(back_ids, call_ids)
    assert back_fx.tobytes() == fx.tobytes()
    assert (packed.size, packed.first_call, packed.last_call) == (5, 1, 2**40 + 3)


def test_a_packed_trace_takes_about_half_the_bytes_of_its_arrays() -> None:
    call_ids, fx = _random_trace(200_000)
    packed = PackedTrace.pack(call_ids, fx)
    held = len(packed.call_ids) + len(packed.fx)
    assert held < 0.6 * (call_ids.nbytes + fx.nbytes)


def test_a_frozen_trace_reads_as_before_and_keeps_late_results_frozen() -> None:
    call_ids, fx = _random_trace(1_000)
    trace = Trace()
    trace.extend(call_ids, fx)
    trace.freeze()
    assert trace.frozen
    np.testing.assert_array_equal(trace.call_ids, call_ids)
    np.testing.assert_array_equal(trace.fx, fx)
    assert (trace.first_call, trace.last_call) == (call_ids[0], call_ids[-1])
    late = int(call_ids[-1])
    trace.append(late + 1, -1.0)  # late results of an ended optimizer's evaluations
    trace.append(late + 3, -2.0)
    assert trace.frozen and len(trace) == 1_002 and trace.last_call == late + 3
    np.testing.assert_array_equal(trace.call_ids, [*call_ids, late + 1, late + 3])
    np.testing.assert_array_equal(trace.fx, [*fx, -1.0, -2.0])
    trace.extend(np.array([late + 4]), np.array([-3.0]))  # bulk: unfrozen
    assert not trace.frozen and list(trace.fx[-3:]) == [-1.0, -2.0, -3.0]
    with pytest.raises(ValueError):
        trace.fx[0] = 0.0  # read-only, frozen or not


def test_freezing_an_empty_trace_does_nothing() -> None:
    trace = Trace()
    trace.freeze()
    assert not trace.frozen and len(trace) == 0


def test_the_cursor_delivers_the_points_of_a_trace_frozen_before_it_read_them() -> None:
    history = History()
    cursor = HistoryCursor(history)
    for call_id in range(1, 11):
        history.add_point(1, call_id, float(call_id))
    assert list(cursor.delta().points[1][0]) == list(range(1, 11))
    for call_id in range(11, 21):
        history.add_point(1, call_id, float(call_id))
    history.traces[1].freeze()
    ids, values = cursor.delta().points[1]
    assert list(ids) == list(range(11, 21)) and list(values) == list(map(float, range(11, 21)))
    assert not cursor.delta()  # nothing more, and the packed trace is not read again


def _run(folder: Path, evaluations: int, executor: str) -> GloMPOManager:
    control = CheckpointingControl(
        checkpoint_iter_frequency=150, checkpointing_dir=folder / "checkpoints"
    )
    manager = GloMPOManager.new_manager(
        task=sphere,
        bounds=[(-5.0, 5.0)] * 2,
        opt_selector=CycleSelector((RandomOptimizer, {"max_evals": 40})),
        working_dir=folder,
        executor=executor,
        max_jobs=1 if executor == "serial" else 3,
        max_optimizers=3,
        seed=3,
        convergence_checker=MaxFuncCalls(evaluations),
        checkpoint_control=control,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        manager.start_manager()
    return manager


@pytest.mark.parametrize("executor", ["serial", "threads"])
def test_a_run_packs_the_traces_of_its_ended_optimizers_and_so_does_a_load(
    tmp_path: Path, executor: str
) -> None:
    manager = _run(tmp_path, 300, executor)
    records = manager.state.optimizers.values()
    ended = [r.opt_id for r in records if not r.running]
    running = [r.opt_id for r in records if r.running]
    assert ended and running
    traces = manager.state.history.traces
    assert all(traces[i].frozen for i in ended)
    assert not any(traces[i].frozen for i in running if i in traces)
    loaded = GloMPOManager.load_manager(tmp_path / "checkpoints", task=sphere)
    for opt_id, trace in loaded.state.history.traces.items():
        assert trace.frozen == (not loaded.state.optimizers[opt_id].running)
        kept = traces[opt_id]
        n = len(trace)  # the checkpoint was taken at 300 evaluations, as the run ended
        np.testing.assert_array_equal(trace.call_ids, kept.call_ids[:n])
        np.testing.assert_array_equal(trace.fx, kept.fx[:n])
