"""The scope figure: content, limits, markers and the cheap incremental drawing."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from glompo_scope_chkpt.core.history import History
from glompo_scope_chkpt.scope.cursor import HistoryCursor
from glompo_scope_chkpt.scope.plot import ScopePlot, even_pixel_size
from glompo_scope_chkpt.scope.vis_args import validate_visualisation_args

SMALL = {"figsize": (3.2, 2.4), "dpi": 100}


def _args(**kwargs: object) -> dict:
    movie = dict(SMALL, **kwargs.pop("movie_kwargs", {}))  # type: ignore[arg-type]
    return validate_visualisation_args({**kwargs, "movie_kwargs": movie})


def _history(n: int = 600, n_opt: int = 3, seed: int = 0) -> History:
    rng = np.random.default_rng(seed)
    history = History()
    for call_id in range(1, n + 1):
        history.add_point(call_id % n_opt, call_id, float(100 * rng.random() / call_id**0.3))
    return history


def _drawn(plot: ScopePlot, opt_id: int) -> tuple[np.ndarray, np.ndarray]:
    """x and y of an optimizer's line, or of the top edge of its band (each bin's highest)."""
    series = plot._series[opt_id]
    if series.elitism:
        return series.artist.get_xdata(), series.artist.get_ydata()
    xy = series.bins.envelope()
    return xy[: len(xy) // 2, 0], xy[: len(xy) // 2, 1]


@pytest.mark.parametrize(
    ("figsize", "dpi", "expected"),
    [
        ((12, 8), 100, (1200, 800)),
        ((3.21, 2.41), 100, (320, 240)),
        ((12, 8), 150, (1800, 1200)),
        ((3.33, 2.5), 150, (500, 374)),
    ],
)
def test_even_pixel_size(figsize: tuple, dpi: float, expected: tuple) -> None:
    assert even_pixel_size(figsize, dpi) == expected


@pytest.mark.parametrize("dpi", [100, 150, 77])
def test_render_gives_even_rgba_frames(dpi: int) -> None:
    plot = ScopePlot.from_history(_args(movie_kwargs={"dpi": dpi}), _history(50))
    pixels = np.asarray(plot.render())
    height, width = pixels.shape[:2]
    assert pixels.shape[2] == 4 and (width, height) == (plot.width, plot.height)
    assert width % 2 == 0 and height % 2 == 0


def test_the_x_axis_ends_just_past_the_data_in_every_frame(tmp_path: Path) -> None:
    plot = ScopePlot.from_history(_args(), _history(600))
    live = np.asarray(plot.render()).copy()
    assert plot.ax.get_xlim() == (0.0, 700.0) == plot.still_xlim()
    plot.save_png(tmp_path / "still.png")
    still = np.round(imread(tmp_path / "still.png") * 255).astype(np.uint8)
    np.testing.assert_array_equal(still, live)  # the still is the last frame


def test_plot_from_history_draws_every_point_while_bins_are_single_evaluations() -> None:
    history = _history(120)
    plot = ScopePlot.from_history(_args(movie_kwargs={"figsize": (8, 6)}), history)
    full = np.asarray(plot.render()).copy()
    for opt_id, trace in history.traces.items():
        x, y = _drawn(plot, opt_id)
        np.testing.assert_array_equal(x, trace.call_ids)
        np.testing.assert_allclose(y, trace.fx)
    empty = np.asarray(ScopePlot(_args(movie_kwargs={"figsize": (8, 6)})).render())
    assert np.mean(full != empty) > 0.01


def test_incremental_frames_match_a_full_draw() -> None:
    """Frames drawn over a cached picture equal a full draw of the same data."""
    history = _history(900)
    args = _args(y_range=(-5, 80))  # the same limits for both: compare drawing only
    live, scratch = ScopePlot(args), History()
    cursor = HistoryCursor(scratch)
    points = sorted(
        (int(c), opt_id, float(f))
        for opt_id, trace in history.traces.items()
        for c, f in zip(trace.call_ids, trace.fx, strict=True)
    )
    for call_id, opt_id, fx in points:
        scratch.add_point(opt_id, call_id, fx)
        if call_id in (300, 600):  # lines and markers over the optimizers' lines in both ways
            scratch.add_marker("checkpoint", call_id)
            scratch.add_marker("resume" if call_id == 300 else "killed", call_id, opt_id=opt_id)
        if call_id % 10 == 0:
            live.apply(cursor.delta())
            live.render()
    live.apply(cursor.delta())
    incremental = bytes(live.render())
    assert incremental == bytes(ScopePlot.from_history(args, scratch, blit=False).render())


def test_markers_are_drawn_where_they_happened() -> None:
    history = _history(300)
    history.add_marker("killed", 150, opt_id=0)
    history.add_marker("converged", 200, opt_id=1)
    history.add_marker("crashed", 250, opt_id=2)
    history.add_marker("paused", 260, opt_id=9, fx=5.0)  # unknown optimizer: placed at fx
    history.add_marker("checkpoint", 100)
    history.add_marker("resume", 120)
    plot = ScopePlot.from_history(_args(), history)
    plot.render()
    lines = {**plot.marks.event_lines, **plot.marks.vertical_lines}
    assert list(lines["killed"].get_xdata()) == [150]
    assert lines["killed"].get_ydata()[0] == pytest.approx(plot._series[0].value_at(150))
    assert list(lines["converged"].get_xdata()) == [200]
    assert list(lines["crashed"].get_xdata()) == [250]
    assert lines["crashed"].get_color() == "red"
    assert list(lines["paused"].get_ydata()) == [5.0]
    assert list(lines["checkpoint"].get_xdata()[:2]) == [100, 100]
    resume = lines["resume"]
    assert list(resume.get_xdata()[:2]) == [120, 120]
    assert resume.get_linewidth() > 2 * lines["checkpoint"].get_linewidth()
    assert any(text.get_text().strip() == "resumed" for text in plot.ax.texts)


def test_resume_line_is_visible_in_the_pixels() -> None:
    history = _history(400)
    args = _args()
    before = np.asarray(ScopePlot.from_history(args, history).render()).copy()
    history.add_marker("resume", 200)
    after = np.asarray(ScopePlot.from_history(args, history).render())
    changed_columns = np.flatnonzero(np.any(before != after, axis=(0, 2)))
    assert changed_columns.size >= 2  # a thick line, plus its label


def test_elitism_plots_the_running_best() -> None:
    history = _history(200, n_opt=1)
    plot = ScopePlot.from_history(_args(elitism=True, movie_kwargs={"figsize": (8, 6)}), history)
    plot.render()
    expected = np.minimum.accumulate(history.traces[0].fx)
    np.testing.assert_allclose(_drawn(plot, 0)[1], expected)


def test_log_scale_leaves_out_values_it_cannot_place_as_glompo_does() -> None:
    history = _history(100)
    plot = ScopePlot.from_history(_args(log_scale=True), history)
    plot.render()
    assert plot.ax.get_yscale() == "log"
    before = _drawn(plot, 0)[1].copy()
    history.add_point(0, 101, -3.0)
    history.add_point(0, 102, 0.0)
    plot = ScopePlot.from_history(_args(log_scale=True), history)
    plot.render()
    assert plot.ax.get_yscale() == "log"
    np.testing.assert_array_equal(_drawn(plot, 0)[1], before)
    low, high = plot.ax.get_ylim()
    assert low > 0 and np.log10(low) == int(np.log10(low)) and np.log10(high) == int(np.log10(high))
    assert "best f(x) = -3" in plot.title_text() and "2 values <= 0 not shown" in plot.title_text()


def test_log_scale_reads_y_range_in_powers_of_ten() -> None:
    plot = ScopePlot.from_history(_args(log_scale=True, y_range=(-3, 2)), _history(100))
    plot.render()
    assert plot.ax.get_ylim() == pytest.approx((1e-3, 1e2))
    labels = [t.get_text() for t in plot.ax.get_yticklabels() if t.get_visible()]
    assert labels and all(label.startswith("$\\mathdefault{10^{") for label in labels)


def test_trailing_window_follows_the_last_evaluations() -> None:
    history = _history(1000)
    plot = ScopePlot.from_history(_args(x_range=300), history)
    plot.render()
    low, high = plot.ax.get_xlim()
    assert low <= 1000 - 300 and high >= 1000 and high - low <= 300 * 1.5
    assert len(_drawn(plot, 0)[0]) < 200


def test_fixed_ranges_are_kept() -> None:
    plot = ScopePlot.from_history(_args(x_range=(10, 50), y_range=(-1, 1)), _history(300))
    plot.render()
    assert plot.ax.get_xlim() == (10, 50) and plot.ax.get_ylim() == (-1, 1)


def test_non_finite_values_do_not_break_limits() -> None:
    history = History()
    for call_id, fx in enumerate([1.0, np.inf, np.nan, 2.0, -np.inf, 3.0], start=1):
        history.add_point(0, call_id, fx)
    plot = ScopePlot.from_history(_args(), history)
    plot.render()
    low, high = plot.ax.get_ylim()
    assert np.isfinite([low, high]).all() and low < 1.0 and high > 3.0


def test_save_png_writes_the_picture(tmp_path: Path) -> None:
    plot = ScopePlot.from_history(_args(), _history(100))
    target = plot.save_png(tmp_path / "still.png")
    assert imread(target).shape[:2] == (plot.height, plot.width)
    assert [p.name for p in tmp_path.iterdir()] == ["still.png"]


def test_cursor_delivers_every_point_once_while_the_history_grows() -> None:
    history = History()
    cursor = HistoryCursor(history)
    seen: dict[int, list[int]] = {}
    done = threading.Event()

    def produce() -> None:
        for call_id in range(20_000):
            history.add_point(call_id % 7, call_id, float(call_id))
            if call_id % 997 == 0:
                history.add_marker("checkpoint", call_id)
        done.set()

    def consume() -> int:
        delta = cursor.delta()
        for opt_id, (call_ids, fx) in delta.points.items():
            np.testing.assert_array_equal(call_ids, fx)
            seen.setdefault(opt_id, []).extend(call_ids.tolist())
        return len(delta.markers)

    thread = threading.Thread(target=produce)
    thread.start()
    markers = 0
    while not done.is_set():
        markers += consume()
    thread.join()
    markers += consume()
    assert markers == len(history.markers)
    for opt_id, call_ids in seen.items():
        assert call_ids == history.traces[opt_id].call_ids.tolist()
    assert sum(map(len, seen.values())) == 20_000


def test_the_title_follows_a_resized_canvas() -> None:
    plot = ScopePlot.from_history(_args(), _history(300))
    plot.render()
    width, height = plot.figure.get_size_inches()
    plot.figure.set_size_inches(width, height * 1.5)  # as a window resize does
    plot.invalidate()
    pixels = np.asarray(plot.render())
    assert pixels.shape[0] > plot.height
    top = round(pixels.shape[0] - plot.ax.bbox.y1)  # the band between the figure top and the axes
    band = pixels[:top, :, :3].astype(int)
    assert (band.min(axis=2) < 128).any(), "no title text above the axes"


def test_the_title_shows_a_best_value_only_once_there_is_one() -> None:
    plot = ScopePlot(_args())
    assert plot.title_text() == "0 evaluations"
    history = History()
    history.add_point(2, 1, 7.5)
    history.add_point(1, 2, 3.25)
    plot.apply(HistoryCursor(history).delta())
    assert plot.title_text() == "2 evaluations   best f(x) = 3.25 (opt 1)"
