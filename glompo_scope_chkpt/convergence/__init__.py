"""Conditions that end the whole optimization; combine them with ``|`` and ``&``."""

from __future__ import annotations

from .basechecker import BaseChecker, RunStatus
from .fmax import MaxFuncCalls
from .ftarget import TargetCost
from .tmax import MaxSeconds

__all__ = ["RunStatus", "BaseChecker", "MaxFuncCalls", "MaxSeconds", "TargetCost"]
