"""The scope's axis limits and bin width, as pure functions of the data drawn.

This module's one concern is where the axes end. Every limit here depends only on the points and
markers applied so far (the last evaluation number, the value range), never on the frames drawn
before, so the same data always give the same picture. Limits move in steps (so that ticks and
labels are laid out again only now and then), and the x axis always ends just past the data.
"""

from __future__ import annotations

import math

__all__ = ["bin_width", "fitted_high", "x_limits", "y_limits"]

_STEPS = (1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10)


def fitted_high(last: float) -> float:
    """The end of an x axis fitted to evaluations ``0..last``: 2 % past it, rounded up to a step of
    :data:`_STEPS` times a power of ten (12,000 -> 12,500; 600 -> 700), at least 10."""
    if last < 10:
        return 10.0
    power = 10.0 ** math.floor(math.log10(1.02 * last))
    return next(m * power for m in _STEPS if m * power >= 1.02 * last)


def x_limits(x_range: tuple[float, float] | int | None, last: int) -> tuple[float, float]:
    """The x limits for ``visualisation_args['x_range']`` after ``last`` evaluations.

    ``None``: from 0 to :func:`fitted_high`. A pair: itself. An int ``n``: a trailing window of at
    least ``n`` evaluations that moves in quarter steps.
    """
    if isinstance(x_range, tuple):
        return x_range
    if x_range is None:
        return (0.0, fitted_high(last))
    step = max(1, math.ceil(x_range / 4))
    high = (last // step + 1) * step
    return (float(max(0, high - x_range - step)), float(high))


def _nice_step(span: float) -> float:
    """1, 2 or 5 times a power of ten, giving four to ten steps over ``span``."""
    power = 10.0 ** math.floor(math.log10(span / 4))
    return next(m * power for m in (1, 2, 5, 10) if span / (m * power) <= 10)


def y_limits(low: float, high: float, log: bool) -> tuple[float, float]:
    """Limits holding values ``low..high`` (finite; positive on a log scale), snapped outward.

    A log scale ends on whole decades; a linear one on multiples of a fifth of a round tick step,
    with at least 3 % of the span free above and below.
    """
    if log:
        bottom, top = math.floor(math.log10(low)), math.ceil(math.log10(high))
        return 10.0**bottom, 10.0 ** max(top, bottom + 1)
    span = high - low
    if span <= 1e-9 * max(1.0, abs(low), abs(high)):
        span = max(1.0, abs(high))
    grid = _nice_step(1.06 * span) / 5
    return (
        math.floor((low - 0.03 * span) / grid) * grid,
        math.ceil((high + 0.03 * span) / grid) * grid,
    )


def bin_width(span: float, columns: int) -> int:
    """The smallest power of two of evaluations per bin that spreads ``span`` evaluations over at
    most ``columns`` bins."""
    if span <= columns:
        return 1
    return 1 << math.ceil(math.log2(span / columns))
