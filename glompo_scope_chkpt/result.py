"""The outcome of an optimization."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Result"]


@dataclass(frozen=True)
class Result:
    """What :meth:`GloMPOManager.start_manager` returns.

    Attributes
    ----------
    x
        Best point found (``None`` if nothing was evaluated).
    fx
        Its function value (``inf`` if nothing was evaluated).
    stats
        Evaluations, time, sessions, optimizers, checkpoints and why the run ended.
    origin
        Which optimizer found ``x`` and at which evaluation: ``opt_id``, ``type``, ``call_id``.
    interrupted
        ``True`` when the session stopped on a signal (or Ctrl-C stopped the final stitch):
        resume it. ``stats["interrupt_checkpoint"]`` is the checkpoint written then, or ``None``
        if it could not be written (a warning said why; only an earlier checkpoint can be
        resumed); ``stats["interrupt_signal"]`` names the signal, e.g. ``"SIGINT"``.
    """

    x: np.ndarray | None
    fx: float
    stats: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False
