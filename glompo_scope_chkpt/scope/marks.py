"""The scope's marks: event markers on the optimizers' lines, checkpoint and resume lines, labels.

This module's one concern is the markers of the history as the scope shows them. A
:class:`Marks` keeps the markers applied so far by kind, places each event marker (killed,
converged, crashed, paused) on its optimizer's line, draws a vertical line per checkpoint and
resume, and labels the resume lines "resumed". A ``started`` marker draws nothing: it only names
the optimizer's type, which the legend shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from ..core.history import Marker
from .colours import END_KINDS
from .legend import EVENT_STYLES, RESUME_LABEL_STYLE, VERTICAL_STYLES, optimizer_types
from .series import Series

__all__ = ["Marks"]


class Marks:
    """The marks of one scope figure.

    Parameters
    ----------
    ax
        The scope's axes.
    font
        The scope's text size in points.
    show_resumes
        Draw the resume lines and their labels.
    """

    def __init__(self, ax: Axes, font: float, show_resumes: bool) -> None:
        self._ax, self._font, self._show_resumes = ax, font, show_resumes
        self.by_kind: dict[str, list[Marker]] = {k: [] for k in (*EVENT_STYLES, *VERTICAL_STYLES)}
        self.types: dict[int, str] = {}
        self._ys: dict[str, list[float]] = {k: [] for k in EVENT_STYLES}
        self._texts: list[Any] = []
        self.event_lines = {
            k: ax.plot([], [], animated=True, ls="none", zorder=4, **s)[0]
            for k, s in EVENT_STYLES.items()
        }
        self.vertical_lines = {
            k: ax.plot([], [], zorder=1.5, transform=ax.get_xaxis_transform(), **s)[0]
            for k, s in VERTICAL_STYLES.items()
        }

    def add(self, markers: Iterable[Marker]) -> bool:
        """Keep ``markers``; return whether one of them ended an optimizer."""
        ended = False
        for marker in markers:
            if marker.kind == "started":
                self.types.update(optimizer_types([marker]))
                continue
            self.by_kind[marker.kind].append(marker)
            ended = ended or marker.kind in END_KINDS
        return ended

    def ends(self) -> list[Marker]:
        """The markers that ended optimizers, in evaluation order."""
        return sorted((m for k in END_KINDS for m in self.by_kind[k]), key=lambda m: m.call_id)

    def vertical_counts(self) -> tuple[int, ...]:
        """How many vertical lines of each kind there are (they belong to the cached picture)."""
        return tuple(len(self.by_kind[k]) for k in VERTICAL_STYLES)

    def draw_verticals(self) -> None:
        """Put a line across the axes at each checkpoint and (if shown) each resume."""
        for kind, line in self.vertical_lines.items():
            calls = [m.call_id for m in self.by_kind[kind]]
            if kind == "resume" and not self._show_resumes:
                calls = []
            xs = np.repeat(np.asarray(calls, dtype=float), 3)
            line.set_data(xs, [0.0, 1.0, np.nan] * len(calls))

    def label_resumes(self, xlim: tuple[float, float]) -> None:
        """Label resume lines "resumed", right of the line (left near the right edge), skipping
        lines too close to the one labelled before."""
        for text in self._texts:
            text.remove()
        self._texts = []
        if not self._show_resumes:
            return
        ax, (low, high) = self._ax, xlim
        dpi = ax.figure.dpi
        gap = 6 * self._font / 72 * dpi / max(1.0, ax.bbox.width) * (high - low)
        previous = -math.inf
        for call in sorted(m.call_id for m in self.by_kind["resume"]):
            if not low <= call <= high or call - previous < gap:
                continue
            previous = call
            left = (call - low) / (high - low) < 0.8
            text = ax.annotate(
                "resumed",
                xy=(call, 0.985),
                xycoords=ax.get_xaxis_transform(),
                xytext=(5 if left else -5, 0),
                textcoords="offset points",
                ha="left" if left else "right",
                va="top",
                fontsize=0.85 * self._font,
                animated=True,
                zorder=5,
                **RESUME_LABEL_STYLE,
            )
            self._texts.append(text)

    def place(self, series: Mapping[int, Series], stale: set[int | None] | None, log: bool) -> None:
        """Place each event marker on its optimizer's line (or at its own value).

        Markers of optimizers outside ``stale`` keep their place (``None``: all may move).
        """
        for kind in EVENT_STYLES:
            markers, ys = self.by_kind[kind], self._ys[kind]
            for i, marker in enumerate(markers):
                if i < len(ys) and stale is not None and marker.opt_id not in stale:
                    continue
                line = series.get(marker.opt_id) if marker.opt_id is not None else None
                y = line.value_at(marker.call_id) if line is not None else math.nan
                if not math.isfinite(y) and marker.fx is not None:
                    y = float(marker.fx) if (marker.fx > 0 or not log) else math.nan
                if i == len(ys):
                    ys.append(y)
                else:
                    ys[i] = y
            placed = [(m.call_id, y) for m, y in zip(markers, ys, strict=True) if math.isfinite(y)]
            self.event_lines[kind].set_data(*(zip(*placed, strict=True) if placed else ([], [])))

    def live_artists(self) -> Iterator[Any]:
        """The markers and labels drawn over the cached picture each frame."""
        yield from self.event_lines.values()
        yield from self._texts
