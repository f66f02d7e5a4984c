"""Joining movie files into one: planning (copy or re-encode), running ffmpeg, verifying."""

from __future__ import annotations

from .plan import StitchReport
from .run import stitch

__all__ = ["StitchReport", "stitch"]
