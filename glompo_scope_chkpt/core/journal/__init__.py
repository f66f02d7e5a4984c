"""The run's history on disk: two append-only files beside the checkpoints.

A checkpoint stores only how far the files reach and the hash of that prefix
(:class:`HistoryMark`); loading rebuilds the history from the prefix (:func:`read_history`);
the session that resumes settles the files to it (:class:`HistoryJournal`), moving later
records aside.
"""

from __future__ import annotations

from .format import HistoryMark
from .journal import HistoryJournal
from .reader import read_history

__all__ = ["HistoryJournal", "HistoryMark", "read_history"]
