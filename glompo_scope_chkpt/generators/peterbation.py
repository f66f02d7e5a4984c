"""``PerturbationGenerator``: start points scattered around a known good point.

The module keeps GloMPO's name for it (``generators.peterbation``).
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InvalidSettingError
from .basegenerator import BaseGenerator

if TYPE_CHECKING:
    from ..engine.spawning import RunView

__all__ = ["PerturbationGenerator"]

_NORMAL = NormalDist()
_TINY = float(np.nextafter(0.0, 1.0))


class PerturbationGenerator(BaseGenerator):
    """Draws each parameter from a normal distribution around ``x0``, truncated to the bounds.

    Useful to re-parametrise around a good candidate; it explores little beyond it.

    Parameters
    ----------
    x0
        Centre of the distribution, inside the run's bounds.
    scale
        Standard deviation of each parameter (one number for all, or one per parameter), > 0.

    Raises
    ------
    InvalidSettingError
        If ``x0`` is not finite numbers, or ``scale`` does not match it or is not > 0.

    Notes
    -----
    Each parameter is drawn by inverting the normal distribution's CDF at a uniform draw between
    the CDF values of the two bounds, so draws never fall outside and need no retries.
    """

    def __init__(self, x0: Sequence[float] | np.ndarray, scale: Sequence[float] | float) -> None:
        self.loc = np.array(x0, dtype=float)
        if self.loc.ndim != 1 or not np.all(np.isfinite(self.loc)):
            raise InvalidSettingError(
                f"PerturbationGenerator: x0 must be finite numbers, got {x0!r}."
            )
        widths = np.array(scale, dtype=float)
        if widths.shape not in ((), self.loc.shape):
            raise InvalidSettingError(
                f"PerturbationGenerator: scale must be one number or {self.loc.size}, got "
                f"{scale!r}."
            )
        if not np.all(widths > 0) or not np.all(np.isfinite(widths)):
            raise InvalidSettingError(
                f"PerturbationGenerator: scale must be finite and > 0, got {scale!r}."
            )
        self.scale = np.broadcast_to(widths, self.loc.shape).copy()

    def check_run(self, bounds: np.ndarray, max_f_calls: int | None) -> None:
        if self.loc.shape != (len(bounds),):
            raise InvalidSettingError(
                f"PerturbationGenerator: x0 has {self.loc.size} values, the run has "
                f"{len(bounds)} parameters."
            )
        if np.any(self.loc < bounds[:, 0]) or np.any(self.loc > bounds[:, 1]):
            raise InvalidSettingError(
                f"PerturbationGenerator: x0 = {self.loc.tolist()} is outside the bounds."
            )

    def generate(self, view: RunView) -> np.ndarray:
        lower = (view.bounds[:, 0] - self.loc) / self.scale
        upper = (view.bounds[:, 1] - self.loc) / self.scale
        uniforms = view.rng.random(len(self.loc))
        z = np.empty(len(self.loc))
        for i, (a, b, u) in enumerate(zip(lower, upper, uniforms, strict=True)):
            low, high = _NORMAL.cdf(a), _NORMAL.cdf(b)
            p = min(max(low + u * (high - low), _TINY), 1.0 - np.finfo(float).epsneg)
            z[i] = _NORMAL.inv_cdf(p)
        return np.clip(self.loc + z * self.scale, view.bounds[:, 0], view.bounds[:, 1])

    def __repr__(self) -> str:
        return f"PerturbationGenerator(x0={self.loc.tolist()}, scale={self.scale.tolist()})"
