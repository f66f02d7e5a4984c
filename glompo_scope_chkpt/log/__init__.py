"""The HDF5 log ``glompo_log.h5`` and the summary files written at the end of a run."""

from __future__ import annotations

from .format import LOG_FILENAME, row_dtype
from .writer import OptimizationLog

__all__ = ["LOG_FILENAME", "OptimizationLog", "row_dtype"]
