"""Managed parallel black-box optimization with visualization-aware checkpoints.

The public API::

    from glompo_scope_chkpt import GloMPOManager, CheckpointingControl

The names are imported on first use, so that the command line tools start light (``run`` must
catch a scheduler's signal as early as it can; ``stitch-movies`` needs no optimizer code).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.3.2"

__all__ = ["CheckpointingControl", "GloMPOManager", "Result", "__version__"]

_HOMES = {
    "CheckpointingControl": ".core.checkpointing",
    "GloMPOManager": ".core.manager",
    "Result": ".result",
}

if TYPE_CHECKING:
    from .core.checkpointing import CheckpointingControl
    from .core.manager import GloMPOManager
    from .result import Result


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
