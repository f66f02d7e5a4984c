"""Killing conditions: stop optimizers that no longer contribute, so new ones can start."""

from __future__ import annotations

from .basehunter import BaseHunter
from .stagnation import StagnationHunter

__all__ = ["BaseHunter", "StagnationHunter"]
