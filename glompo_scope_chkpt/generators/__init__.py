"""Start points for new optimizers."""

from __future__ import annotations

from .basegenerator import BaseGenerator
from .random import RandomGenerator

__all__ = ["BaseGenerator", "RandomGenerator"]
