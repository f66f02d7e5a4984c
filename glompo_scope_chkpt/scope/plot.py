"""The scope figure: every optimizer's function values against the total number of evaluations.

:class:`ScopePlot` is a view of a :class:`~glompo_scope_chkpt.core.history.History`. It is fed
:class:`~.cursor.HistoryDelta` objects (what the history gained since the last one, read by a
:class:`~.cursor.HistoryCursor`) and renders frames as RGBA pixels. Each optimizer's data is kept
in a :class:`~.series.Series`; the title is pasted by a :class:`~.title.TitleLine`.

Redrawing is kept cheap. Axis limits move in steps (nice round numbers for the whole run, quarter
windows for a trailing window, hysteresis on the value axis), so ticks and labels are laid out only
when a step is taken. Between steps the picture without markers and title (frame, ticks, labels
and every line drawn so far) is cached; a frame restores it, draws only the new segments of each
line, caches the result again and draws the event markers, the checkpoint and resume lines and
the title over it. A frame therefore costs the same after a million evaluations as after a hundred.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .._fileio import atomic_path
from .._logging import get_logger
from ..core.history import History, Marker
from ..errors import ScopeError
from .cursor import HistoryCursor, HistoryDelta
from .series import Series
from .title import TitleLine

__all__ = ["ScopePlot", "even_pixel_size"]

log = get_logger(__name__)

_EVENT_STYLES: dict[str, dict[str, Any]] = {
    "killed": {"marker": "x", "color": "black", "markersize": 8, "markeredgewidth": 1.8},
    "converged": {"marker": "*", "color": "gold", "markeredgecolor": "black", "markersize": 13},
    "crashed": {"marker": "X", "color": "red", "markeredgecolor": "darkred", "markersize": 10},
    "paused": {"marker": r"$\parallel$", "color": "dimgray", "markersize": 10},
}
_VERTICAL_STYLES: dict[str, dict[str, Any]] = {
    "checkpoint": {"color": "0.45", "linewidth": 0.9, "linestyle": ":"},
    "resume": {"color": "black", "linewidth": 2.5, "linestyle": "--"},
}
_PALETTE = [colormaps["tab20"](i) for i in (*range(0, 20, 2), *range(1, 20, 2))]
"""Colours of optimizers 0, 1, 2, ...: the ten strong tab20 colours, then their light twins."""


def even_pixel_size(figsize: tuple[float, float], dpi: float) -> tuple[int, int]:
    """Return the figure's pixel size, each side rounded down to an even number (at least 2).

    H.264 in yuv420p needs even sides; the figure is sized to exactly these pixels.
    """
    return tuple(max(2, round(side * dpi) // 2 * 2) for side in figsize)  # type: ignore[return-value]


def _nice_ceil(value: float) -> float:
    """Smallest of 1, 2, 2.5, 5 times a power of ten that is >= ``value``."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value)


def _tight_ceil(value: float) -> float:
    """``value`` plus 2 %, rounded up to a tenth of its power of ten (12,000 -> 13,000)."""
    unit = 10.0 ** math.floor(math.log10(value)) / 10
    return math.ceil(1.02 * value / unit) * unit


class ScopePlot:
    """The scope figure, drawn off-screen with Agg (or in a window in interactive mode).

    Parameters
    ----------
    args
        Validated ``visualisation_args`` (see :mod:`.vis_args`).
    blit
        Between axis-limit steps, restore the cached picture and draw only new line segments,
        markers and the title. With ``False`` every frame is a full draw (the reference the
        benchmark compares against).
    figure
        A figure to draw into (interactive mode passes a pyplot figure); by default a new
        :class:`~matplotlib.figure.Figure` with an Agg canvas.
    """

    def __init__(self, args: Mapping[str, Any], *, blit: bool = True, figure: Figure | None = None):
        movie = args["movie_kwargs"]
        dpi = float(movie["dpi"])
        self.width, self.height = even_pixel_size(movie["figsize"], dpi)
        if figure is None:
            figure = Figure(dpi=dpi)
            FigureCanvasAgg(figure)
        figure.set_dpi(dpi)
        figure.set_size_inches(self.width / dpi, self.height / dpi, forward=True)
        canvas = figure.canvas
        if not isinstance(canvas, FigureCanvasAgg):
            raise ScopeError(
                f"The scope draws with matplotlib's Agg renderer, but the figure's canvas is a "
                f"{type(canvas).__name__}; use an Agg-based backend (Agg, TkAgg, QtAgg, ...)."
            )
        self.figure, self.canvas = figure, canvas
        self._args, self._blit = dict(args), blit
        self._series: dict[int, Series] = {}
        self._best: tuple[float, int | None] = (math.inf, None)
        self._last_call = 0
        self._events: dict[str, list[Any]] = {k: [] for k in (*_EVENT_STYLES, *_VERTICAL_STYLES)}
        self._background: Any = None
        self._symlog_threshold: float | None = None
        self.dirty = True
        self.ax = self._build_axes()
        # Over the optimizers' lines (zorder 3), drawn last in every frame, blitted or not.
        self._event_lines = {
            k: self._new_line(ls="none", zorder=3, **s) for k, s in _EVENT_STYLES.items()
        }
        for kind, style in _VERTICAL_STYLES.items():  # one artist each: NaN-separated segments
            line = self._event_lines[kind] = self._new_line(zorder=3, **style)
            line.set_transform(self.ax.get_xaxis_transform())

    def _build_axes(self) -> Any:
        width, height = self.figure.get_size_inches()
        font = self._font = 10 * min(
            1.0, max(0.5, width / 12, height / 8)
        )  # small figure: small text
        em = font / 72  # inches
        ax = self.figure.add_subplot()
        self.figure.subplots_adjust(
            left=6.5 * em / width,
            right=1 - 2 * em / width,
            bottom=4.2 * em / height,
            top=1 - 3 * em / height,
        )
        ax.tick_params(labelsize=font)
        ax.set_xlabel("Total function evaluations", fontsize=font)
        ax.set_ylabel("Best f(x) so far" if self._args["elitism"] else "f(x)", fontsize=font)
        ax.grid(True, color="0.9", linewidth=0.6)
        ax.set_axisbelow(True)
        x_range, y_range = self._args["x_range"], self._args["y_range"]
        ax.set_xlim(x_range if isinstance(x_range, tuple) else (0, 10))
        if self._args["log_scale"]:
            ax.set_yscale("symlog" if y_range and y_range[0] <= 0 else "log")
            if y_range and y_range[0] <= 0:
                self._symlog_threshold = 1.0
        ax.set_ylim(y_range or ((0.1, 10) if self._args["log_scale"] else (0, 1)))
        self._title = TitleLine(self.figure, 1.1 * font)
        return ax

    def _new_line(self, **style: Any) -> Line2D:
        (line,) = self.ax.plot([], [], animated=self._blit, **style)
        return line

    # -- data ------------------------------------------------------------------------------------
    def apply(self, delta: HistoryDelta) -> None:
        """Add the points and markers of ``delta`` (nothing is drawn until :meth:`render`)."""
        elitism = self._args["elitism"]
        for opt_id, (call_ids, fx) in delta.points.items():
            series = self._series.get(opt_id)
            if series is None:
                series = self._series[opt_id] = self._new_series(opt_id)
            series.extend(call_ids, fx, elitism)
            self._last_call = max(self._last_call, int(call_ids[-1]))
            finite = np.isfinite(fx)
            if finite.any():
                low = float(np.min(fx[finite]))
                if low < self._best[0]:
                    self._best = (low, opt_id)
        for marker in delta.markers:
            self._add_marker(marker)
        self.dirty = self.dirty or bool(delta)

    def _new_series(self, opt_id: int) -> Series:
        colour = _PALETTE[opt_id % len(_PALETTE)]
        style = "steps-post" if self._args["elitism"] else "default"
        return Series(self._new_line(color=colour, linewidth=1.2, drawstyle=style))

    def _add_marker(self, marker: Marker) -> None:
        self._last_call = max(self._last_call, marker.call_id)
        if marker.kind in ("checkpoint", "resume"):
            self._add_vertical(marker)
            return
        series = self._series.get(marker.opt_id) if marker.opt_id is not None else None
        y = series.value_at(marker.call_id) if series is not None else math.nan
        if not math.isfinite(y) and marker.fx is not None:
            y = float(marker.fx)
        if not math.isfinite(y):
            log.debug("Marker %s has no value to be placed at; not drawn.", marker)
            return
        self._events[marker.kind].append((marker.call_id, y))
        xs, ys = zip(*self._events[marker.kind], strict=True)
        self._event_lines[marker.kind].set_data(xs, ys)

    def _add_vertical(self, marker: Marker) -> None:
        """Checkpoints: thin dotted lines; resumes: thick dashed lines labelled "resumed"."""
        self._events[marker.kind].append(marker.call_id)
        xs = np.repeat(np.asarray(self._events[marker.kind], dtype=float), 3)
        ys = np.tile([0.0, 1.0, np.nan], len(xs) // 3)
        self._event_lines[marker.kind].set_data(xs, ys)
        if marker.kind == "resume":
            self.ax.text(
                marker.call_id,
                0.98,
                "resumed ",
                transform=self.ax.get_xaxis_transform(),
                rotation=90,
                ha="right",
                va="top",
                fontsize=0.9 * self._font,
                clip_on=True,
            )
            self._background = None

    def invalidate(self) -> None:
        """Forget the cached picture (e.g. after the window was resized): next frame draws all."""
        self._background = None

    # -- limits ----------------------------------------------------------------------------------
    def _wanted_xlim(self) -> tuple[float, float]:
        x_range, last = self._args["x_range"], self._last_call
        if isinstance(x_range, tuple):
            return x_range
        if x_range is None:
            high = self.ax.get_xlim()[1]
            return (0.0, high if last <= high else max(10.0, _nice_ceil(1.1 * last)))
        step = max(1, math.ceil(x_range / 4))
        high = (last // step + 1) * step
        return (float(max(0, high - x_range - step)), float(high))

    def _data_range(self, xlim: tuple[float, float] | None) -> tuple[float, float]:
        low, high = math.inf, -math.inf
        for series in self._series.values():
            if xlim is None:
                low, high = min(low, series.ymin), max(high, series.ymax)
                continue
            y = series.y[series.visible(xlim)]
            if np.isfinite(y).any():
                low, high = min(low, float(np.nanmin(y))), max(high, float(np.nanmax(y)))
        return low, high

    def _update_yscale(self, low: float) -> bool:
        if not self._args["log_scale"] or low > 0:
            return False
        small = min((s.absmin for s in self._series.values()), default=math.inf)
        small = small if math.isfinite(small) else 1.0
        threshold = 10.0 ** math.floor(math.log10(small))
        if self._symlog_threshold is not None and threshold >= self._symlog_threshold:
            return False
        self._symlog_threshold = threshold
        self.ax.set_yscale("symlog", linthresh=threshold)
        return True

    def _update_ylim(self, xlim: tuple[float, float]) -> bool:
        if self._args["y_range"] is not None:
            return False
        low, high = self._data_range(None if self._args["x_range"] is None else xlim)
        if not math.isfinite(low):
            return False
        changed = self._update_yscale(low)
        forward = self.ax.yaxis.get_transform()
        t_low, t_high = forward.transform([low, high])
        c_low, c_high = sorted(forward.transform(self.ax.get_ylim()))
        span = t_high - t_low
        inside = c_low <= t_low and t_high <= c_high
        if inside and (c_high - c_low) <= 4 * max(span, 1e-300) and not changed:
            return False
        tiny = span <= 1e-9 * max(1.0, abs(t_low), abs(t_high))
        pad = max(0.5, 0.1 * abs(t_high)) if tiny else 0.12 * span
        new = forward.inverted().transform([t_low - pad, t_high + pad])
        self.ax.set_ylim(float(new[0]), float(new[1]))
        return True

    def _update_limits(self) -> bool:
        xlim = self._wanted_xlim()
        changed = tuple(self.ax.get_xlim()) != xlim
        if changed:
            self.ax.set_xlim(xlim)
        return self._update_ylim(xlim) or changed

    # -- drawing ---------------------------------------------------------------------------------
    def title_text(self) -> str:
        """The line above the axes: evaluations so far and the best value, once there is one."""
        best, opt_id = self._best
        if not math.isfinite(best):
            return f"{self._last_call:,} evaluations"
        who = "" if opt_id is None else f" (opt {opt_id})"
        return f"{self._last_call:,} evaluations   best f(x) = {best:.6g}{who}"

    def _draw_title(self) -> None:
        text = self.title_text()
        box, pixels = self.ax.bbox, np.asarray(self.canvas.buffer_rgba())
        row = round(pixels.shape[0] - box.y1 - 0.4 * self._title.height)  # a window may resize
        self._title.draw(pixels, text, (box.x0 + box.x1) / 2, row)

    def _draw_overlays(self) -> None:
        for artist in self._event_lines.values():
            self.ax.draw_artist(artist)

    def _full_draw(self) -> None:
        """Lay out and draw everything; cache the picture without markers and title."""
        window = None if self._args["x_range"] is None else self.ax.get_xlim()
        for series in self._series.values():
            part = series.visible(window)
            series.line.set_data(series.x[part], series.y[part])
            series.drawn = series.n
        self.canvas.draw()  # frame, ticks, labels, grid, vertical lines: not the live artists
        if not self._blit:
            self._draw_title()
        else:
            for series in self._series.values():
                self.ax.draw_artist(series.line)
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._draw_overlays()
            self._draw_title()

    def _incremental_draw(self) -> None:
        """Restore the cached picture, extend each line by its new segments, re-cache, overlay."""
        self.canvas.restore_region(self._background)
        extended = False
        for series in self._series.values():
            if series.n > series.drawn:
                tail = slice(max(0, series.drawn - 1), series.n)
                series.line.set_data(series.x[tail], series.y[tail])
                self.ax.draw_artist(series.line)
                series.drawn, extended = series.n, True
        if extended:
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self._draw_overlays()
        self._draw_title()

    def render(self) -> memoryview:
        """Draw the current picture and return its pixels.

        Returns
        -------
        memoryview
            RGBA bytes of shape ``(height, width, 4)``, valid until the next call.
        """
        limits_changed = self._update_limits()
        if not self._blit or limits_changed or self._background is None:
            self._full_draw()
        else:
            self._incremental_draw()
        self.dirty = False
        return self.canvas.buffer_rgba()

    def still_xlim(self) -> tuple[float, float]:
        """The x limits of a still: without a fixed ``x_range``, fitted to the data.

        The live view grows its x axis in coarse steps (to redraw seldom), which can leave a
        still's right half empty.
        """
        if self._args["x_range"] is None and self._last_call > 0:
            return (0.0, _tight_ceil(self._last_call))
        return tuple(self.ax.get_xlim())

    def save_png(self, path: str | Path) -> Path:
        """Write the picture, x axis at :meth:`still_xlim`, as a PNG (atomically); return its path.

        The live view's limits are restored afterwards, so later frames are not affected.
        """
        from matplotlib.image import imsave

        live = tuple(self.ax.get_xlim())
        self.ax.set_xlim(self.still_xlim())
        self.invalidate()
        try:
            pixels = np.asarray(self.render())
            with atomic_path(path) as tmp:
                imsave(tmp, pixels, format="png")
        finally:
            self.ax.set_xlim(live)
            self.invalidate()
        return Path(path)

    @classmethod
    def from_history(cls, args: Mapping[str, Any], history: History, **kwargs: Any) -> ScopePlot:
        """Build a plot holding everything in ``history`` (e.g. for a still image)."""
        plot = cls(args, **kwargs)
        plot.apply(HistoryCursor(history).delta())
        return plot
