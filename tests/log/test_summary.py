"""Tests of the YAML summary and the trajectory plots."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
import yaml

from glompo_scope_chkpt.core.history import History, Trace
from glompo_scope_chkpt.log.summary import (
    SUMMARY_FILENAME,
    TRAJECTORY_BEST_FILENAME,
    TRAJECTORY_FILENAME,
    to_plain,
    write_trajectory_plots,
    write_yaml_summary,
)


def _history(n_opts: int = 3, points: int = 50, negative: bool = False) -> History:
    rng = np.random.default_rng(0)
    history = History()
    call = 0
    for _ in range(points):
        for opt_id in range(n_opts):
            call += 1
            value = float(rng.random() * 10 + (-5 if negative else 0.1))
            history.add_point(opt_id, call, value)
    history.add_marker("checkpoint", 40, label="cp_40")
    history.add_marker("resume", 40, label="cp_40")
    history.add_marker("killed", 60, opt_id=0)
    history.add_marker("converged", call, opt_id=1, fx=0.5)
    history.add_marker("crashed", 10, opt_id=99)  # unknown optimizer, no fx: not drawn
    return history


def test_yaml_summary_round_trips_numpy_and_paths(tmp_path: Path) -> None:
    path = tmp_path / SUMMARY_FILENAME
    data = {
        "settings": {"max_jobs": np.int64(4), "bounds": np.array([[-5.0, 5.0]] * 2)},
        "result": {"x": np.array([0.1, 0.2]), "fx": np.float32(1.5), "origin": {"opt_id": 2}},
        "end_reason": "MaxFuncCalls(20000)",
        "time": {"total_seconds": dt.timedelta(minutes=2), "sessions": (60.0, 60.0)},
        "evaluations": 20000,
        "checkpoints": [tmp_path / "checkpoints" / "cp_1.tar.gz"],
        "movie_segments": [{"file": "seg_001.ts", "frames": 12}],
        "started": dt.datetime(2026, 1, 2, 3, 4, 5),
        "best": float("inf"),
        "optimizer": object,
    }
    write_yaml_summary(path, data)
    loaded = yaml.safe_load(path.read_text())
    assert list(loaded) == list(data)  # key order kept
    assert loaded["settings"] == {"max_jobs": 4, "bounds": [[-5.0, 5.0], [-5.0, 5.0]]}
    assert loaded["result"]["x"] == [0.1, 0.2] and loaded["result"]["fx"] == 1.5
    assert loaded["time"] == {"total_seconds": 120.0, "sessions": [60.0, 60.0]}
    assert loaded["checkpoints"] == [str(tmp_path / "checkpoints" / "cp_1.tar.gz")]
    assert loaded["best"] == float("inf") and loaded["optimizer"] == "<class 'object'>"
    assert [p.name for p in tmp_path.iterdir()] == [SUMMARY_FILENAME]  # no temporary left


def test_to_plain_converts_sets_and_keys() -> None:
    assert to_plain({1: {3, 2}, "b": np.bool_(True)}) == {"1": [2, 3], "b": True}


@pytest.mark.parametrize(("log_scale", "negative"), [(False, False), (True, False), (True, True)])
def test_trajectory_plots_are_valid_pngs(tmp_path: Path, log_scale: bool, negative: bool) -> None:
    written = write_trajectory_plots(tmp_path, _history(negative=negative), log_scale=log_scale)
    assert [p.name for p in written] == [TRAJECTORY_FILENAME, TRAJECTORY_BEST_FILENAME]
    for path in written:
        image = matplotlib.image.imread(path)
        assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)


def test_trajectory_plots_of_empty_and_crowded_histories(tmp_path: Path) -> None:
    for folder, history in (("empty", History()), ("crowded", _history(n_opts=40, points=5))):
        (tmp_path / folder).mkdir()
        for path in write_trajectory_plots(tmp_path / folder, history):
            assert matplotlib.image.imread(path).ndim == 3


def test_plots_do_not_use_pyplot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "matplotlib.pyplot", raising=False)
    write_trajectory_plots(tmp_path, _history())
    assert "matplotlib.pyplot" not in sys.modules


def test_trajectory_plots_share_the_scopes_colours_and_fit_the_x_axis() -> None:
    from matplotlib.figure import Figure

    from glompo_scope_chkpt.log.summary import _draw
    from glompo_scope_chkpt.scope.plot import ScopePlot
    from glompo_scope_chkpt.scope.vis_args import validate_visualisation_args

    history = History()
    for call_id in range(1, 1201):
        opt_id = call_id % 2 + 2 * (call_id > 600)  # optimizers 0 and 1, then 2 and 3
        history.add_point(opt_id, call_id, 1.0 / call_id - 0.01 * (opt_id == 3))
    history.add_marker("killed", 599, opt_id=1)
    history.add_marker("converged", 600, opt_id=0)
    history.add_marker("started", 600, opt_id=2, label="CMAOptimizer")  # 0, 1, 3: no type
    axes = Figure().add_subplot()
    _draw(axes, history, best=False, log_scale=True)
    scope = ScopePlot.from_history(validate_visualisation_args({}), history)
    drawn = {line.get_label(): line.get_color() for line in axes.get_lines()}
    names = {0: "opt 0", 1: "opt 1", 2: "opt 2 CMAOptimizer", 3: "opt 3"}  # the scope's names
    scope.render()
    assert set(names.values()) <= {t.get_text() for t in scope.figure.legends[0].get_texts()}
    for opt_id, colour in scope.colours().items():
        assert tuple(drawn[names[opt_id]]) == colour
    assert len(set(scope.colours().values())) == 4  # 2 and 3 do not take 0's and 1's colours
    assert axes.get_xlim() == (0.0, 1250.0) and axes.get_yscale() == "log"
    assert np.isnan(axes.get_lines()[3].get_ydata()[-1])  # a negative value is left out


def test_trajectory_plots_draw_the_scopes_marks() -> None:
    from matplotlib.artist import getp
    from matplotlib.figure import Figure

    from glompo_scope_chkpt.log.summary import _draw
    from glompo_scope_chkpt.scope.legend import EVENT_LABELS
    from glompo_scope_chkpt.scope.plot import ScopePlot
    from glompo_scope_chkpt.scope.vis_args import validate_visualisation_args

    history = _history()
    history.add_marker("crashed", 90, opt_id=2)
    history.add_marker("started", 0, opt_id=0, label="RandomOptimizer")  # draws nothing
    scope = ScopePlot.from_history(validate_visualisation_args({}), history)
    marks = {**scope.marks.event_lines, **scope.marks.vertical_lines}
    for best in (False, True):
        axes = Figure().add_subplot()
        _draw(axes, history, best=best, log_scale=False)
        drawn = {line.get_label(): line for line in axes.get_lines()}
        assert "opt 0 RandomOptimizer" in drawn and "opt 1" in drawn
        for kind, label in EVENT_LABELS.items():
            if kind == "paused":
                continue  # none in this history
            line, scope_line = drawn[label], marks[kind]
            for prop in ("marker", "color", "linestyle", "linewidth", "markersize"):
                assert getp(line, prop) == getp(scope_line, prop), (kind, prop)
        assert len(axes.get_lines()) == 3 + 3 + 2  # traces, point marks, one line per vertical


@pytest.mark.parametrize("best", [False, True])
def test_a_long_trace_is_drawn_decimated_with_every_spike_kept(best: bool) -> None:
    from matplotlib.figure import Figure

    from glompo_scope_chkpt.log.summary import _draw

    n = 1_000_000
    rng = np.random.default_rng(1)
    fx = rng.uniform(1.0, 2.0, n)
    fx[123_457], fx[876_543] = 50.0, 0.001  # a spike up, and the best value
    history = History()
    history.traces[0] = trace = Trace()
    trace.extend(np.arange(1, n + 1), fx)
    trace.freeze()  # an ended optimizer's trace, drawn from its packed form
    axes = Figure().add_subplot()
    _draw(axes, history, best=best, log_scale=False)
    (line,) = axes.get_lines()
    assert len(line.get_xdata()) <= 2 * 2 * 2048  # at most two points per bin
    ys = np.asarray(line.get_ydata())
    assert ys.min() == 0.001
    assert ys.max() == (fx[0] if best else 50.0)
