"""The outcome of an optimization."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Result"]


def _equal(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` hold the same values (arrays element-wise, ``nan`` equal to nan)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a is not None and b is not None and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_equal(a[key], b[key]) for key in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def _origin_line(origin: Mapping[str, Any]) -> str:
    if not origin:
        return "none (nothing was evaluated)"
    words = [f"optimizer {origin.get('opt_id', '?')}"]
    if "type" in origin:
        words.append(f"({origin['type']})")
    if "call_id" in origin:
        words.append(f"at evaluation {origin['call_id']}")
    return " ".join(words)


def _stats_lines(stats: Mapping[str, Any]) -> list[str]:
    lines = []
    if "f_counter" in stats:
        seconds = stats.get("elapsed_seconds")
        took = f" in {seconds:.1f} s" if isinstance(seconds, (int, float)) else ""
        lines.append(
            f"evaluations: {stats['f_counter']}{took} over {stats.get('sessions', 1)} session(s)"
        )
    if stats.get("evaluations_replayed"):
        saved = stats.get("replay_seconds_saved")
        about = f" (about {saved:.1f} s saved)" if isinstance(saved, (int, float)) else ""
        lines.append(f"replayed from the log: {stats['evaluations_replayed']}{about}")
    if "optimizers_started" in stats:
        ended = ", ".join(
            f"{stats.get(f'optimizers_{kind}', 0)} {kind}"
            for kind in ("converged", "killed", "crashed")
        )
        lines.append(f"optimizers: {stats['optimizers_started']} started ({ended})")
    checkpoints = stats.get("checkpoints")
    if isinstance(checkpoints, Sequence) and checkpoints:
        lines.append(f"checkpoints: {len(checkpoints)}, the last {checkpoints[-1]}")
    for key, label in (("end_reason", "end"), ("movie", "movie")):
        if stats.get(key):
            lines.append(f"{label}: {stats[key]}")
    return lines


@dataclass(frozen=True, eq=False)
class Result:
    """What :meth:`GloMPOManager.start_manager` returns.

    ``print(result)`` shows the best point, its value, where it came from and a summary of the
    statistics. Two results are equal (``==``) when every field holds the same values (arrays
    compared element-wise).

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

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return self.interrupted == other.interrupted and all(
            _equal(getattr(self, name), getattr(other, name))
            for name in ("x", "fx", "stats", "origin")
        )

    __hash__ = None  # type: ignore[assignment]  # mutable dicts inside: not hashable

    def __str__(self) -> str:
        x = "None" if self.x is None else np.array2string(np.asarray(self.x), precision=6)
        head = "Result (interrupted: resume from its checkpoint)" if self.interrupted else "Result"
        lines = [
            head,
            f"  x: {x}",
            f"  fx: {self.fx:.6e}" if isinstance(self.fx, (int, float)) else f"  fx: {self.fx}",
            f"  origin: {_origin_line(self.origin)}",
        ]
        lines += [f"  {line}" for line in _stats_lines(self.stats)]
        if self.interrupted and self.stats.get("interrupt_checkpoint"):
            lines.append(f"  resume from: {self.stats['interrupt_checkpoint']}")
        return "\n".join(lines)
