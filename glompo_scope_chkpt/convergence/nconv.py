"""``NOptConverged``: end the run once a number of optimizers converged on their own."""

from __future__ import annotations

from .basechecker import _CountReached

__all__ = ["NOptConverged"]


class NOptConverged(_CountReached):
    """Ends the run once ``nconv`` optimizers met their own convergence criteria.

    Optimizers stopped by a hunter or the user, or crashed, do not count.

    Parameters
    ----------
    nconv
        Optimizers that must converge.

    Raises
    ------
    InvalidSettingError
        If ``nconv`` is not an integer >= 1 (an :class:`InvalidSettingTypeError` if not an
        integer).
    """

    figure, noun = "n_converged", "optimizers converged"

    def __init__(self, nconv: int) -> None:
        super().__init__(nconv)
