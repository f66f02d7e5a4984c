"""Ask/tell optimizers the manager drives.

:class:`NevergradOptimizer` and :class:`ScipyOptimizeWrapper` are imported on first use, so that
importing this package needs neither nevergrad nor scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .base import BaseOptimizer
from .cmawrapper import CMAOptimizer
from .random import RandomOptimizer

__all__ = [
    "BaseOptimizer",
    "CMAOptimizer",
    "NevergradOptimizer",
    "RandomOptimizer",
    "ScipyOptimizeWrapper",
]

_LAZY = {"NevergradOptimizer": ".nevergrad", "ScipyOptimizeWrapper": ".scipy"}

if TYPE_CHECKING:
    from .nevergrad import NevergradOptimizer
    from .scipy import ScipyOptimizeWrapper


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
