"""Managed parallel black-box optimization with visualization-aware checkpoints.

The public API::

    from glompo_scope_chkpt import GloMPOManager, CheckpointingControl
"""

from __future__ import annotations

__version__ = "0.1.0"

from .checkpointing import CheckpointingControl
from .manager import GloMPOManager
from .result import Result

__all__ = ["CheckpointingControl", "GloMPOManager", "Result", "__version__"]
