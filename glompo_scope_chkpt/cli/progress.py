"""The progress bar of a long re-encode: drawn on a terminal, silent when stderr is not one.

A bar written into a log file or a pipe (a batch job's output, ``2>log``) is a screenful of
carriage returns; so the bar is drawn only when stderr is a terminal, by tqdm.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["progress_bar"]

_BAR = "{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}"
_STEPS = 1000


def _terminal_size() -> tuple[int, int]:
    """Columns and lines of stderr's terminal; 80 x 24 where it reports none (a bare pty)."""
    try:
        columns, lines = os.get_terminal_size(sys.stderr.fileno())
    except (AttributeError, ValueError, OSError):
        columns = lines = 0
    return columns or 80, lines or 24


def _on_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stderr, or a closed one
        return False


@contextlib.contextmanager
def progress_bar(quiet: bool, desc: str = "encoding") -> Iterator[Callable[[float], None]]:
    """Yield a progress callback (fraction done, 0 to 1) drawing a bar on stderr.

    The bar appears at the first fraction short of the end (a stream copy that only reports its
    end draws none), and never when ``quiet`` or when stderr is not a terminal.
    """
    state: dict[str, Any] = {}
    show = not quiet and _on_terminal()

    def update(fraction: float) -> None:
        bar = state.get("bar")
        if bar is None:
            if not show or fraction >= 1.0:
                return
            from tqdm import tqdm

            # tqdm draws nothing on a terminal that reports no size
            columns, lines = _terminal_size()
            bar = state["bar"] = tqdm(
                total=_STEPS, desc=desc, file=sys.stderr, bar_format=_BAR, ncols=columns,
                nrows=lines,
            )  # fmt: skip
        bar.update(max(0, int(fraction * _STEPS) - bar.n))

    try:
        yield update
    finally:
        if state.get("bar") is not None:
            state["bar"].close()
