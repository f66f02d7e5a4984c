"""The scope's title line, pasted from cached glyph images.

This module's one concern is drawing a frequently changing, one-line title cheaply:
:class:`TitleLine` renders each character once with matplotlib and then composes the title from
those cells directly into a frame's RGBA pixels.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

__all__ = ["TitleLine"]


class TitleLine:
    """A one-line, monospaced title composed from cached character images.

    matplotlib lays out and rasterises every glyph of a text at every draw (about 5 ms for the
    title at 1200x800, half the cost of a frame). The title changes every frame, so it is pasted
    from per-character cells, rendered once each, at a fixed advance: about 0.1 ms.
    """

    def __init__(self, figure: Figure, fontsize: float) -> None:
        self._prop = FontProperties(family="DejaVu Sans Mono", size=fontsize)
        self._dpi = figure.dpi
        measure = RendererAgg(8, 8, self._dpi).get_text_width_height_descent
        self._advance = measure("0" * 10, self._prop, ismath=False)[0] / 10
        _, height, self._descent = measure("Ag|", self._prop, ismath=False)
        self.height, self._width = math.ceil(height) + 2, math.ceil(self._advance) + 2
        self._cells: dict[str, np.ndarray] = {}

    def _cell(self, char: str) -> np.ndarray:
        cell = self._cells.get(char)
        if cell is None:
            size = (self._width / self._dpi, self.height / self._dpi)
            figure = Figure(figsize=size, dpi=self._dpi)
            canvas = FigureCanvasAgg(figure)
            y = (self._descent + 1) / self.height
            figure.text(1 / self._width, y, char, fontproperties=self._prop, va="baseline")
            canvas.draw()
            cell = self._cells[char] = np.asarray(canvas.buffer_rgba()).copy()
        return cell

    def draw(self, pixels: np.ndarray, text: str, center: float, bottom: int) -> None:
        """Darken ``text`` into the white area of ``pixels`` centred at column ``center``, its
        box ending at row ``bottom``."""
        left = round(center - (self._advance * len(text) + 2) / 2)
        top = bottom - self.height
        if top < 0:
            return
        for i, char in enumerate(text):
            x = left + round(i * self._advance)
            if char == " " or x < 0 or x + self._width > pixels.shape[1]:
                continue
            region = pixels[top:bottom, x : x + self._width]
            np.minimum(region, self._cell(char), out=region)
