"""``MaxKills``: end the run once a number of optimizers were killed."""

from __future__ import annotations

from .basechecker import _CountReached

__all__ = ["MaxKills"]


class MaxKills(_CountReached):
    """Ends the run once ``kills_max`` optimizers were killed (by a hunter or a ``STOP_x`` file).

    Parameters
    ----------
    kills_max
        Kills after which the run ends.

    Raises
    ------
    InvalidSettingError
        If ``kills_max`` is not an integer >= 1 (an :class:`InvalidSettingTypeError` if not an
        integer).
    """

    figure, noun = "n_killed", "optimizers killed"

    def __init__(self, kills_max: int) -> None:
        super().__init__(kills_max)
