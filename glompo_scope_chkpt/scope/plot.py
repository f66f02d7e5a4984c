"""The scope figure: every optimizer's function values against the total number of evaluations.

:class:`ScopePlot` is a view of a :class:`~glompo_scope_chkpt.core.history.History`. It is fed
:class:`~.cursor.HistoryDelta` objects (what the history gained since the last one, read by a
:class:`~.cursor.HistoryCursor`) and renders frames as RGBA pixels. Each optimizer's data is kept
in a :class:`~.series.Series`, summarised per bin of evaluation numbers (:mod:`.bins`); the markers
are drawn by :class:`~.marks.Marks`; the title is pasted by a :class:`~.title.TitleLine`.

A frame is a function of the points and markers applied so far, never of the frames drawn before
or of the clock: the same data applied in one delta or in a thousand give the same pixels. Its
cost does not grow with the run. The limits (:mod:`.limits`), the colours (:mod:`.colours`) and the
bin width depend only on the data; each optimizer is drawn as the band from
each bin's lowest to its highest value (:meth:`.Bins.envelope`), and a bin is at most a pixel
column or two wide. The picture behind the lines (frame, ticks, labels, legend, checkpoint and
resume lines) is drawn once per change of the limits or the legend and cached; a frame
restores it and draws the lines, the markers, the resume labels and the title over it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon
from matplotlib.ticker import EngFormatter, LogFormatterSciNotation, LogLocator, NullFormatter
from matplotlib.transforms import IdentityTransform

from .._fileio import atomic_path
from .._logging import get_logger
from ..core.history import History
from ..errors import ScopeError
from .colours import Colour, assign_colours, spans_from
from .cursor import HistoryCursor, HistoryDelta
from .legend import MAX_LISTED, draw_legends, optimizer_label
from .limits import bin_width, x_limits, y_limits
from .marks import Marks
from .series import Series
from .title import TitleLine

__all__ = ["ScopePlot", "even_pixel_size", "font_size"]

log = get_logger(__name__)

_COLUMNS_PER_PIXEL = 1
"""Bins per pixel column of the axes at most: as widths are powers of two, a bin spans one or two
columns."""


def even_pixel_size(figsize: tuple[float, float], dpi: float) -> tuple[int, int]:
    """Return the figure's pixel size, each side rounded down to an even number (at least 2).

    H.264 in yuv420p needs even sides; the figure is sized to exactly these pixels.
    """
    return tuple(max(2, round(side * dpi) // 2 * 2) for side in figsize)  # type: ignore[return-value]


def font_size(figsize: tuple[float, float]) -> float:
    """Text size in points for a figure of ``figsize`` inches: 13 at 12x8, in proportion to the
    smaller side's ratio (within 0.5 and 3 times). At a higher ``dpi`` the same text has more
    pixels, so a picture looks the same at any ``dpi``."""
    width, height = figsize
    return 13.0 * min(3.0, max(0.5, min(width / 12, height / 8)))


class ScopePlot:
    """The scope figure, drawn off-screen with Agg (or in a window in interactive mode).

    Parameters
    ----------
    args
        Validated ``visualisation_args`` (see :mod:`.vis_args`).
    blit
        Restore the cached picture behind the lines and draw the lines over it. With ``False``
        every frame draws the whole figure again (the reference the benchmark compares against);
        the pixels are the same.
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
        self._log = bool(args["log_scale"])
        self._series: dict[int, Series] = {}
        self._best: tuple[float, int, int] | None = None  # value, call_id, opt_id
        self._hidden = 0  # values a log scale cannot show
        self._last_call = 0
        self._background: Any = None
        self._drawn_key: Any = None
        self._legends: list[Any] = []
        self._colours: dict[int, Colour] | None = None
        self._stale: set[int | None] | None = set()  # optimizers whose markers may move; None: all
        self.dirty = True
        self.ax = self._build_axes()
        self._columns = _COLUMNS_PER_PIXEL * max(1, round(self.ax.bbox.width))
        self._width = bin_width(self._span(), self._columns)
        self.marks = Marks(self.ax, self._font, bool(args["show_resumes"]))

    # -- layout ----------------------------------------------------------------------------------
    def _build_axes(self) -> Any:
        width, height = self.figure.get_size_inches()
        font = self._font = font_size((width, height))
        em = font / 72  # inches
        ax = self.figure.add_subplot()
        left, right = 6.0 * em / width, 1 - 15.5 * em / width  # the legend's column on the right
        bottom, top = 4.0 * em / height, 1 - 3.2 * em / height
        self._box = (left, right, bottom, top)
        self.figure.subplots_adjust(left=left, right=right, bottom=bottom, top=top)
        ax.tick_params(labelsize=0.9 * font)
        ax.set_xlabel("function evaluations", fontsize=font)
        ylabel = "best f(x) so far" if self._args["elitism"] else "f(x)"
        ax.set_ylabel(ylabel + (" (log scale)" if self._log else ""), fontsize=font)
        ax.grid(True, color="0.9", linewidth=0.7)
        ax.set_axisbelow(True)
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))
        if self._log:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(base=10, numticks=9))
            ax.yaxis.set_major_formatter(LogFormatterSciNotation())
            ax.yaxis.set_minor_formatter(NullFormatter())
        else:
            ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4), useOffset=False)
        ax.set_ylim(self._fixed_ylim() or ((0.1, 10) if self._log else (0, 1)))
        ax.set_xlim(x_limits(self._args["x_range"], 0))
        self._title = TitleLine(self.figure, 1.05 * font)
        return ax

    def _fixed_ylim(self) -> tuple[float, float] | None:
        """``y_range``; with ``log_scale`` in powers of ten, as GloMPO reads it."""
        y_range = self._args["y_range"]
        if y_range is None or not self._log:
            return y_range
        return (10.0 ** y_range[0], 10.0 ** y_range[1])

    def _new_line(self, **style: Any) -> Line2D:
        (line,) = self.ax.plot([], [], animated=True, **style)
        return line

    def _span(self) -> float:
        low, high = x_limits(self._args["x_range"], self._last_call)
        return high - low

    # -- data ------------------------------------------------------------------------------------
    def apply(self, delta: HistoryDelta) -> None:
        """Add the points and markers of ``delta`` (nothing is drawn until :meth:`render`)."""
        calls = [int(ids[-1]) for ids, _ in delta.points.values()]
        calls += [m.call_id for m in delta.markers]
        self._last_call = max([self._last_call, *calls])
        width = bin_width(self._span(), self._columns)
        if width != self._width:
            self._width = width
            for series in self._series.values():
                series.widen(width)
            self._stale = None
        for opt_id, (call_ids, fx) in delta.points.items():
            self._add_points(opt_id, call_ids, fx)
        if self._args["x_range"] is not None:
            low, high = x_limits(self._args["x_range"], self._last_call)
            fixed = isinstance(self._args["x_range"], tuple)
            for series in self._series.values():
                series.drop_outside(low, high if fixed else None)
            self._stale = None
        if self.marks.add(delta.markers):
            self._colours = None
        self.dirty = self.dirty or bool(delta)

    def _add_points(self, opt_id: int, call_ids: np.ndarray, fx: np.ndarray) -> None:
        series = self._series.get(opt_id)
        if series is None:
            artist: Line2D | Polygon
            if self._args["elitism"]:
                artist = self._new_line(linewidth=1.4, zorder=2, drawstyle="steps-post")
            else:
                artist = Polygon(np.zeros((0, 2)), closed=True, lw=0, transform=IdentityTransform())
                artist.set(animated=True, zorder=2)
                self.ax.add_patch(artist)
            series = Series(artist, self._width, self._args["elitism"], self._log)
            self._series[opt_id] = series
            self._colours = None
        series.extend(call_ids, fx)
        if self._stale is not None:
            self._stale.add(opt_id)
        finite = np.isfinite(fx)
        if self._log:
            self._hidden += int(np.count_nonzero(finite & (fx <= 0)))
        if finite.any():
            i = int(np.argmin(np.where(finite, fx, np.inf)))
            best = (float(fx[i]), int(call_ids[i]), opt_id)
            self._best = best if self._best is None else min(self._best, best)

    def invalidate(self) -> None:
        """Forget the cached picture (e.g. after the window was resized): next frame draws all."""
        self._background = None

    # -- what the picture shows ------------------------------------------------------------------
    def colours(self) -> dict[int, Colour]:
        """Each optimizer's colour (see :mod:`.colours`)."""
        if self._colours is None:
            first = {o: s.first_call for o, s in self._series.items() if s.first_call is not None}
            self._colours = assign_colours(spans_from(first, self.marks.ends()))
        return self._colours

    def _legend_entries(self) -> tuple[tuple[tuple[str, Colour, bool], ...], int]:
        """Running optimizers first, then the latest ended ones; how many are left unnamed."""
        ended = {m.opt_id for m in self.marks.ends()}
        colours, types = self.colours(), self.marks.types
        order = sorted(self._series, key=lambda o: (o in ended, -(self._series[o].first_call or 0)))
        named = sorted(order[:MAX_LISTED])
        listed = tuple((optimizer_label(o, types), colours[o], o not in ended) for o in named)
        return listed, len(order) - len(named)

    def _ylim(self, xlim: tuple[float, float]) -> tuple[float, float]:
        fixed = self._fixed_ylim()
        if fixed is not None:
            return fixed
        window = None if self._args["x_range"] is None else xlim
        low, high = math.inf, -math.inf
        for series in self._series.values():
            s_low, s_high = series.y_range(window)
            low, high = min(low, s_low), max(high, s_high)
        if not math.isfinite(low):
            return (0.1, 10.0) if self._log else (0.0, 1.0)
        return y_limits(low, high, self._log)

    def _background_key(self) -> tuple[Any, ...]:
        xlim = x_limits(self._args["x_range"], self._last_call)
        return xlim, self._ylim(xlim), self._legend_entries(), self.marks.vertical_counts()

    def _set_background(self, key: tuple[Any, ...]) -> None:
        """Put the limits, the legend and the vertical lines of ``key`` on the figure."""
        xlim, ylim, (listed, hidden), _ = key
        self.ax.set_xlim(xlim)
        self.ax.set_ylim(ylim)
        for legend in self._legends:
            legend.remove()
        anchor = (self._box[1] + 0.012, self._box[3], self._box[2])
        style = {"fontsize": 0.85 * self._font, "show_resumes": self._args["show_resumes"]}
        self._legends = draw_legends(self.figure, anchor, listed, hidden, style)
        self.marks.draw_verticals()
        self._drawn_key = key
        for series in self._series.values():
            series.limits_changed()

    def _place_lines(self) -> None:
        colours = self.colours()
        half_width = 0.7 * self.figure.dpi / 100  # pixels: a line 1.4 points wide
        for opt_id in sorted(self._series):
            series = self._series[opt_id]
            series.update_artist(self.ax.transData, half_width)
            series.artist.set_color(colours[opt_id])
        self.marks.place(self._series, self._stale, self._log)
        self._stale = set()

    def _draw_live_artists(self) -> None:
        for opt_id in sorted(self._series):
            self.ax.draw_artist(self._series[opt_id].artist)
        for artist in self.marks.live_artists():
            self.ax.draw_artist(artist)

    # -- drawing ---------------------------------------------------------------------------------
    def title_text(self) -> str:
        """The line above the axes: evaluations so far and the best value, once there is one."""
        if self._best is None:
            return f"{self._last_call:,} evaluations"
        best, _, opt_id = self._best
        text = f"{self._last_call:,} evaluations   best f(x) = {best:.6g} (opt {opt_id})"
        if self._hidden:
            text += f"   ({self._hidden:,} values <= 0 not shown on the log scale)"
        return text

    def _draw_title(self) -> None:
        text = self.title_text()
        box, pixels = self.ax.bbox, np.asarray(self.canvas.buffer_rgba())
        row = round(pixels.shape[0] - box.y1 - 0.4 * self._title.height)  # a window may resize
        self._title.draw(pixels, text, (box.x0 + box.x1) / 2, row)

    def render(self) -> memoryview:
        """Draw the current picture and return its pixels.

        Returns
        -------
        memoryview
            RGBA bytes of shape ``(height, width, 4)``, valid until the next call.
        """
        key = self._background_key()
        if key != self._drawn_key:
            self._set_background(key)
            self.marks.label_resumes(key[0])
            self._background = None
        self._place_lines()
        if self._background is None or not self._blit:
            self.canvas.draw()  # everything but the animated lines, markers and labels
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._background)
        self._draw_live_artists()
        self._draw_title()
        self.dirty = False
        return self.canvas.buffer_rgba()

    def still_xlim(self) -> tuple[float, float]:
        """The x limits of a still: those of the current picture (fitted to the data)."""
        return x_limits(self._args["x_range"], self._last_call)

    def save_png(self, path: str | Path) -> Path:
        """Write the current picture as a PNG (atomically); return its path."""
        from matplotlib.image import imsave

        pixels = np.asarray(self.render())
        with atomic_path(path) as tmp:
            imsave(tmp, pixels, format="png")
        return Path(path)

    @classmethod
    def from_history(cls, args: Mapping[str, Any], history: History, **kwargs: Any) -> ScopePlot:
        """Build a plot holding everything in ``history`` (e.g. for a still image)."""
        plot = cls(args, **kwargs)
        plot.apply(HistoryCursor(history).delta())
        return plot
