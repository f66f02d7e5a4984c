"""The scope as a function of the data: same pixels for any chunking, bounded memory, spikes kept,
colours unique among running optimizers and spread over the palette, types in the legend."""

from __future__ import annotations

import numpy as np
import pytest

from glompo_scope_chkpt.core.history import History, Trace
from glompo_scope_chkpt.scope.bins import Bins
from glompo_scope_chkpt.scope.colours import CYCLE, PALETTE, assign_colours, history_spans
from glompo_scope_chkpt.scope.cursor import HistoryCursor
from glompo_scope_chkpt.scope.plot import ScopePlot
from glompo_scope_chkpt.scope.vis_args import validate_visualisation_args

SMALL = {"figsize": (4.0, 3.0), "dpi": 100}


def _args(**kwargs: object) -> dict:
    return validate_visualisation_args({**kwargs, "movie_kwargs": SMALL})


TYPES = ("CMAOptimizer", "RandomOptimizer")


def _run(n: int, seed: int = 0, types: bool = True) -> History:
    """Three optimizers at a time, each replaced after 700 evaluations, with markers (and a
    ``started`` marker naming each optimizer's type, unless ``types`` is false)."""
    rng = np.random.default_rng(seed)
    history, running, next_id = History(), [0, 1, 2], 3
    for opt_id in running if types else ():
        history.add_marker("started", 0, opt_id=opt_id, label=TYPES[opt_id % 2])
    for call_id in range(1, n + 1):
        slot = call_id % 3
        opt_id = running[slot]
        history.add_point(opt_id, call_id, float(50 * rng.random() / call_id**0.2 - 1))
        if call_id % 700 == slot:
            history.add_marker("killed", call_id, opt_id=opt_id)
            running[slot], next_id = next_id, next_id + 1
            if types:
                history.add_marker("started", call_id, opt_id=running[slot], label=TYPES[0])
        if call_id % 1000 == 0:
            history.add_marker("checkpoint", call_id)
        if call_id == 2000:
            history.add_marker("resume", call_id)
    return history


def _replay(history: History, args: dict, chunk: int, draw_every: int = 1) -> bytes:
    """Apply ``history`` to a new plot ``chunk`` events at a time, drawing every ``draw_every``
    chunks."""
    events = sorted(
        [
            (int(c), 0, o, float(f))
            for o, t in history.traces.items()
            for c, f in zip(t.call_ids, t.fx, strict=True)
        ]
        + [(m.call_id, 1, m, 0.0) for m in history.markers],
        key=lambda e: e[:2],
    )
    scratch, plot = History(), ScopePlot(args)
    cursor = HistoryCursor(scratch)
    for i, (call_id, is_marker, what, fx) in enumerate(events):
        if is_marker:
            scratch.markers.append(what)
        else:
            scratch.add_point(what, call_id, fx)
        if i % chunk == chunk - 1:
            plot.apply(cursor.delta())
            if (i // chunk) % draw_every == 0:
                plot.render()
    plot.apply(cursor.delta())
    return bytes(plot.render())


@pytest.mark.parametrize("x_range", [None, 500, (1000, 3000)])
def test_the_same_data_in_any_chunks_give_the_same_pixels(x_range: object) -> None:
    history, args = _run(3000), _args(x_range=x_range, log_scale=x_range == 500)
    at_once = bytes(ScopePlot.from_history(args, history).render())
    assert _replay(history, args, 1, draw_every=7) == at_once
    assert _replay(history, args, 331) == at_once


def test_a_frame_keeps_a_bounded_summary_of_a_million_points() -> None:
    history = History()
    call_ids = np.arange(1, 1_000_001)
    fx = np.random.default_rng(1).random(call_ids.size)
    fx[654_321] = 1e6  # one spike among a million points
    history.traces[0] = trace = Trace()
    trace.__setstate__({"call_ids": call_ids, "fx": fx})  # as a checkpoint restores it
    plot = ScopePlot.from_history(_args(), history)
    plot.render()
    columns = round(plot.ax.bbox.width)
    series = plot._series[0]
    assert len(series.bins) <= columns + 1
    assert series.bins.table.nbytes + series.bins.keys.nbytes < 100 * columns
    envelope = series.bins.envelope()
    assert len(envelope) <= 2 * (columns + 1) and 1e6 in envelope[:, 1]
    drawn = series.artist.get_xy()[:, 1]  # in pixels: the spike rises to near the top
    assert len(drawn) <= 2 * (columns + 1) + 1
    assert drawn.max() - np.median(drawn) > 0.8 * plot.ax.bbox.height


def test_bins_merge_the_same_whatever_the_order_of_widening() -> None:
    rng = np.random.default_rng(2)
    call_ids, y = np.arange(5000) * 3, rng.normal(size=5000)
    y[[10, 11]] = y.min() - 1  # a tie: the first of the two is kept
    direct, stepwise = Bins(64), Bins(1)
    direct.add(call_ids, y)
    for part in np.array_split(np.arange(5000), 37):
        stepwise.add(call_ids[part], y[part])
        stepwise.widen(stepwise.width * 2 if stepwise.width < 64 else 64)
    np.testing.assert_array_equal(direct.keys, stepwise.keys)
    np.testing.assert_array_equal(direct.table, stepwise.table)
    assert direct.table[2].min() == 30  # x of the first lowest point


def test_running_optimizers_never_share_a_colour() -> None:
    history = _run(12_000)
    spans = history_spans(history)
    colours = assign_colours(spans)
    for a, (start_a, end_a) in spans.items():
        for b, (start_b, end_b) in spans.items():
            overlap = start_a <= (end_b or np.inf) and start_b <= (end_a or np.inf)
            if a < b and overlap:
                assert colours[a] != colours[b]
    plot = ScopePlot.from_history(_args(), history)
    plot.render()
    assert plot.colours() == colours
    for opt_id, series in plot._series.items():
        assert tuple(series.artist.get_facecolor()) == colours[opt_id]


def test_show_resumes_can_be_left_out() -> None:
    history = _run(3000)
    without = bytes(ScopePlot.from_history(_args(show_resumes=False), history).render())
    history.add_marker("resume", 1500)
    marked = ScopePlot.from_history(_args(), history)
    assert bytes(marked.render()) != without
    assert bytes(ScopePlot.from_history(_args(show_resumes=False), history).render()) == without


def test_colours_spread_over_the_palette() -> None:
    history = _run(12_000)
    spans = history_spans(history)
    colours = assign_colours(spans)
    order = sorted(spans, key=lambda o: spans[o][0])  # in the order they started
    assert len(order) > CYCLE
    assert [colours[o] for o in order[:CYCLE]] == PALETTE[:CYCLE]  # each once, in turn
    assert colours[order[CYCLE]] == PALETTE[0]
    # An optimizer that just ended keeps its colour: the next one to start takes another.
    ended = [m.opt_id for m in history.markers if m.kind == "killed"]
    assert all(colours[o] != colours[o + 3] for o in ended if o + 3 in colours)


def test_the_pale_colours_are_taken_only_when_the_cycle_is_held() -> None:
    spans = {o: (o, None) for o in range(CYCLE + 2)}
    spans[0] = (0, 1)  # ended: its colour comes round again after the cycle
    colours = assign_colours(spans)
    assert [colours[o] for o in range(CYCLE)] == PALETTE[:CYCLE]
    assert colours[CYCLE] == PALETTE[0] and colours[CYCLE + 1] == PALETTE[CYCLE]


def _legend_texts(plot: ScopePlot) -> list[str]:
    plot.render()
    return [t.get_text() for legend in plot.figure.legends for t in legend.get_texts()]


def _axes_pixels(plot: ScopePlot) -> np.ndarray:
    pixels = np.asarray(plot.render())
    box = plot.ax.bbox
    return pixels[round(plot.height - box.y1) : round(plot.height - box.y0), round(box.x0) :]


def test_the_legend_names_each_optimizers_type_and_the_marker_draws_nothing_else() -> None:
    typed = ScopePlot.from_history(_args(), _run(3000))
    plain = ScopePlot.from_history(_args(), _run(3000, types=False))  # a history without types
    typed_texts, plain_texts = _legend_texts(typed), _legend_texts(plain)
    assert {"opt 1 RandomOptimizer", "opt 7 CMAOptimizer"} <= set(typed_texts)
    assert {"opt 1", "opt 7"} <= set(plain_texts)
    assert not any("Optimizer" in text for text in plain_texts)
    assert typed.colours() == plain.colours()
    typed_axes, plain_axes = _axes_pixels(typed), _axes_pixels(plain)
    np.testing.assert_array_equal(
        typed_axes[:, : typed_axes.shape[1] // 2], plain_axes[:, : plain_axes.shape[1] // 2]
    )
