"""Replay on resume: evaluations the log already holds are answered from it, not by the task.

When a run resumes from a checkpoint, the log rows written after it are moved aside into the
rollback files ``glompo_log.rollback-<checkpoint>.h5`` (:mod:`glompo_scope_chkpt.log.rollback`).
A killed job evaluated those points already: when the resumed run asks for one of them again,
its logged value is handed to the loop as a finished evaluation, and the task is not called.

Rules:

* **Bit for bit.** A point is replayed only when its ``float64`` bytes equal a logged point's.
  The key is the point alone, not ``(opt_id, x)``: the task sees only ``x``, so its value
  cannot depend on which optimizer asked, and with threads or processes the optimizers may ask
  their points in another order or under other ids than before. Each logged row answers one
  request (a point logged twice answers twice).
* **Only the run's own rows.** Every rollback file in the working dir is read, and used only when
  its ``key`` is the run's (another optimization's file is never used) and its layout fits.
  Rows whose ``fx`` is ``nan`` (failed evaluations) are evaluated again, so that a failure is
  reported as it happens. A point in several rollback files (a stretch killed twice) answers as
  often as the newest file holds it.
* **Only a deterministic task.** A task whose attribute ``deterministic`` is ``False`` is never
  replayed, nor a run with ``replay_evaluations=False`` (also to give when the task changed
  since the rows were logged).
* **Bounded memory.** The index maps a 16-byte BLAKE2b digest of each point's bytes to its
  logged rows; rows are read block by block, and the index is dropped once every row served.

A replayed evaluation flows through the loop's one path for results, so the history, the
movie, the hunters and the optimizers see it as an evaluated one. Its log row is an ordinary
row, with a message at its ``call_id``: ``replayed: call <call_id> of <rollback file>`` (the
call it had when it was logged, equal to its new one when the run replays in the same order,
as a serial run does). The rollback files are only read. The session's record counts the
replayed evaluations and the wall time they saved, estimated from the run's seconds per
evaluation before the checkpoint (the log keeps no timings).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .._logging import get_logger
from .._run_files import ROLLBACK_GLOB
from ..core.settings import ManagerSettings
from ..core.state import RunState, SessionRecord
from ..errors import InvalidSettingTypeError
from ..log.format import GROUP_PREFIX, valid_sizes
from .executors import CompletedCall
from .outputs import RunLog

__all__ = ["REPLAYED_MESSAGE", "Replay", "ReplayedCall", "is_deterministic", "point_key"]

logger = get_logger(__name__)

REPLAYED_MESSAGE = "replayed"
"""First word of the log message marking a replayed row."""

_DIGEST_BYTES = 16
_READ_BLOCK = 16_384  # rows read from a rollback file at a time


def point_key(x: Any) -> bytes:
    """The index key of point ``x``: a digest of its ``float64`` (little-endian) bytes."""
    data = np.ascontiguousarray(x, dtype="<f8").tobytes()
    return hashlib.blake2b(data, digest_size=_DIGEST_BYTES).digest()


def is_deterministic(task: Any) -> bool:
    """Whether ``task`` may be replayed: unless its attribute ``deterministic`` is ``False``.

    Raises
    ------
    InvalidSettingTypeError
        If the task has a ``deterministic`` attribute that is not a bool.
    """
    value = getattr(task, "deterministic", True)
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidSettingTypeError(
            f"task.deterministic must be True or False, got {value!r}: False tells a resumed "
            "run never to replay the task's logged evaluations."
        )
    return bool(value)


@dataclass(frozen=True, slots=True)
class LoggedRow:
    """One evaluation of a rollback file: its value, its ``call_id`` and the file's name."""

    fx: float
    call_id: int
    source: str


class ReplayedCall(CompletedCall):
    """A finished evaluation whose value comes from a logged row, not from the task."""

    __slots__ = ("row",)

    def __init__(self, row: LoggedRow) -> None:  # the task is not called
        self._value, self._exc, self.row = row.fx, None, row


def _rollback_files(folder: Path) -> list[Path]:
    """The rollback files in ``folder``, newest first (their ``created`` attribute, then name)."""

    def created(path: Path) -> str:
        try:
            with h5py.File(path, "r", locking=False) as f:
                return str(f.attrs.get("created", ""))
        except (OSError, ValueError):
            return ""

    found = sorted(folder.glob(ROLLBACK_GLOB), key=lambda p: p.name, reverse=True)
    return sorted(found, key=created, reverse=True)


def _file_rows(path: Path, key: str, n_params: int) -> Iterator[tuple[bytes, LoggedRow]]:
    """Yield ``(point key, row)`` for each replayable row of rollback file ``path``.

    A file of another run or layout yields nothing (an INFO line says why).
    """
    with h5py.File(path, "r", locking=False) as f:
        if f.attrs.get("kind") != "rollback" or f.attrs.get("key") != key:
            logger.info("Replay ignores %s: not a rollback file of this run's log.", path)
            return
        if int(f.attrs.get("n_params", -1)) != n_params:
            logger.info("Replay ignores %s: its points do not have %d values.", path, n_params)
            return
        for name, group in f.items():
            if not name.startswith(GROUP_PREFIX):
                continue
            n_rows = valid_sizes(group)[0]
            for start in range(0, n_rows, _READ_BLOCK):
                rows = group["iter_history"][start : min(n_rows, start + _READ_BLOCK)]
                for x, fx, call_id in zip(rows["x"], rows["fx"], rows["call_id"], strict=True):
                    if not math.isnan(fx):
                        yield point_key(x), LoggedRow(float(fx), int(call_id), path.name)


def read_index(folder: Path, key: str, n_params: int) -> dict[bytes, list[LoggedRow]]:
    """Index the replayable rows of the rollback files of run ``key`` in ``folder``.

    A damaged file is passed over with a warning in the log: replay only saves time.
    """
    index: dict[bytes, list[LoggedRow]] = {}
    for path in _rollback_files(folder):
        found: dict[bytes, list[LoggedRow]] = {}
        try:
            for digest, row in _file_rows(path, key, n_params):
                if digest not in index:  # a newer file holds it already: the same evaluation
                    found.setdefault(digest, []).append(row)
        except (OSError, KeyError, ValueError, TypeError) as err:
            logger.warning("Replay passes over %s, which cannot be read: %s", path, err)
            continue
        index.update(found)
    return index


class Replay:
    """The logged evaluations a resumed session may replay, and its count of those replayed.

    Parameters
    ----------
    index
        Point key -> logged rows not yet served.
    seconds_per_evaluation
        Wall seconds one evaluation took on average before the session (the estimate of what a
        replayed one saves).
    record
        The session's record, whose counts are updated.
    """

    def __init__(
        self,
        index: dict[bytes, list[LoggedRow]],
        seconds_per_evaluation: float,
        record: SessionRecord,
    ) -> None:
        self._index: dict[bytes, list[LoggedRow]] | None = index
        self.seconds_per_evaluation = seconds_per_evaluation
        self.record = record

    @classmethod
    def open(cls, settings: ManagerSettings, state: RunState, task: Any) -> Replay | None:
        """The replay of a session about to run, or ``None`` when there is nothing to replay.

        Replay needs a resumed session, the HDF5 log (``summary_files=3``), the setting
        ``replay_evaluations`` and a deterministic task.

        Raises
        ------
        InvalidSettingTypeError
            If ``task.deterministic`` is not a bool.
        """
        deterministic = is_deterministic(task)
        record = state.sessions[-1] if state.sessions else None
        if (
            record is None
            or record.resumed_from is None
            or settings.summary_files < 3
            or not settings.replay_evaluations
            or not deterministic
        ):
            return None
        index = read_index(settings.working_dir, state.key, len(settings.bounds))
        if not index:
            return None
        rows = sum(len(rows) for rows in index.values())
        logger.info("Replay: %d logged evaluations may answer this session's requests", rows)
        per_eval = state.elapsed_before / state.f_counter if state.f_counter else 0.0
        return cls(index, per_eval, record)

    @property
    def exhausted(self) -> bool:
        """Whether every logged row was served (the index is then freed)."""
        return self._index is None

    def answer(self, x: np.ndarray) -> ReplayedCall | None:
        """The logged evaluation of point ``x``, or ``None`` if the task must evaluate it."""
        if self._index is None:
            return None
        digest = point_key(x)
        rows = self._index.get(digest)
        if rows is None:
            return None
        row = rows.pop(0)
        if not rows:
            del self._index[digest]
            if not self._index:
                self._index = None
                logger.info("Replay: every logged evaluation was served")
        return ReplayedCall(row)

    def processed(self, call: ReplayedCall, opt_id: int, call_id: int, log: RunLog) -> None:
        """Count a replayed evaluation the loop processed as ``call_id``, and mark its row."""
        row = call.row
        log.put_message(opt_id, call_id, f"{REPLAYED_MESSAGE}: call {row.call_id} of {row.source}")
        self.record.replayed += 1
        self.record.replay_seconds_saved += self.seconds_per_evaluation
