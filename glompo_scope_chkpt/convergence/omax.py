"""``MaxOptsStarted``: end the run once a number of optimizers were started."""

from __future__ import annotations

from .basechecker import _CountReached

__all__ = ["MaxOptsStarted"]


class MaxOptsStarted(_CountReached):
    """Ends the run once ``omax`` optimizers were started (over all sessions).

    The run ends as soon as the ``omax``-th optimizer starts; to let the last optimizers finish
    instead, stop spawning new ones with the selector and end on their convergence.

    Parameters
    ----------
    omax
        Optimizers after whose start the run ends.

    Raises
    ------
    InvalidSettingError
        If ``omax`` is not an integer >= 1 (an :class:`InvalidSettingTypeError` if not an
        integer).
    """

    figure, noun = "n_started", "optimizers started"

    def __init__(self, omax: int) -> None:
        super().__init__(omax)
