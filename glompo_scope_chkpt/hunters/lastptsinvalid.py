"""``LastPointsInvalid``: stop an optimizer that only finds undefined values."""

from __future__ import annotations

import numpy as np

from .._validation import require_count
from .basehunter import BaseHunter
from .view import Hunt

__all__ = ["LastPointsInvalid"]


class LastPointsInvalid(BaseHunter):
    """Holds when each of the victim's last ``n_iters`` values is not finite (``nan``, ``inf``).

    Some tasks are undefined in parts of their space; an optimizer lost there is stopped.

    Parameters
    ----------
    n_iters
        How many of its last values must all be non-finite.

    Raises
    ------
    InvalidSettingError
        If ``n_iters`` is not an integer >= 1 (an :class:`InvalidSettingTypeError` if not an
        integer).
    """

    def __init__(self, n_iters: int = 1) -> None:
        self.n_iters = require_count("LastPointsInvalid n_iters", n_iters)
        self.points_needed = self.n_iters

    def check(self, hunt: Hunt) -> bool:
        last = hunt.victim.recent_fx[-self.n_iters :]
        return len(last) >= self.n_iters and not np.isfinite(last).any()

    def describe(self, hunt: Hunt) -> str:
        return f"its last {self.n_iters} values were not finite"

    def __repr__(self) -> str:
        return f"LastPointsInvalid(n_iters={self.n_iters})"
