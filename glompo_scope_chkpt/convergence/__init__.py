"""Conditions that end the whole optimization; combine them with ``|`` and ``&``."""

from __future__ import annotations

from .basechecker import BaseChecker, RunStatus
from .fmax import MaxFuncCalls
from .ftarget import TargetCost
from .nconv import NOptConverged
from .nkills import MaxKills
from .nkillsafterconv import KillsAfterConvergence
from .omax import MaxOptsStarted
from .tmax import MaxSeconds

__all__ = [
    "RunStatus",
    "BaseChecker",
    "KillsAfterConvergence",
    "MaxFuncCalls",
    "MaxKills",
    "MaxOptsStarted",
    "MaxSeconds",
    "NOptConverged",
    "TargetCost",
]
