"""``PseudoConverged``: GloMPO's earlier name for the rule of ``BestUnmoving``."""

from __future__ import annotations

from .bestunmoving import BestUnmoving

__all__ = ["PseudoConverged"]


class PseudoConverged(BestUnmoving):
    """Holds when the victim's best value changed by no more than ``tol`` (a fraction) in its
    last ``calls`` values: the rule of :class:`BestUnmoving`, under the name earlier GloMPO
    versions gave it, so that scripts written for them run unchanged.

    Parameters
    ----------
    calls, tol
        See :class:`BestUnmoving`.

    Raises
    ------
    InvalidSettingError
        See :class:`BestUnmoving`.
    """
