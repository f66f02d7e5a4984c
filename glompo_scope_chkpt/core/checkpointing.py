"""Checkpointing settings: when to checkpoint, where, under which names, and how many to keep."""

from __future__ import annotations

import math
import os
import re
import time
from pathlib import Path

from .._run_files import ARCHIVE_SUFFIX, CHECKPOINT_FOLDER
from ..errors import InvalidSettingError

__all__ = ["CheckpointingControl", "ARCHIVE_SUFFIX"]

# Each key of the naming format, its strftime rendering and the pattern that matches it.
_NAMING_KEYS: dict[str, tuple[str, str]] = {
    "date": ("%Y%m%d", r"\d{8}"),
    "year": ("%Y", r"\d{4}"),
    "yr": ("%y", r"\d{2}"),
    "month": ("%m", r"\d{2}"),
    "day": ("%d", r"\d{2}"),
    "time": ("%H%M%S", r"\d{6}"),
    "hour": ("%H", r"\d{2}"),
    "min": ("%M", r"\d{2}"),
    "sec": ("%S", r"\d{2}"),
    "count": ("", r"\d{3,}"),
}
_KEY_RE = re.compile(r"%\(([^)]*)\)")
"""Any ``%(...)`` is a key; one not in :data:`_NAMING_KEYS` is refused, not taken literally."""


def _check_frequency(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidSettingError(
            f"CheckpointingControl: {name} must be a number of "
            f"{'seconds' if 'time' in name else 'function evaluations'} (> 0), got {value!r}."
        )
    if math.isnan(value) or value <= 0:
        raise InvalidSettingError(
            f"CheckpointingControl: {name} must be > 0 (use math.inf to disable it), got {value!r}."
        )
    return float(value)


def _split_format(naming_format: str) -> list[tuple[bool, str]]:
    """Split a naming format into ``(is_key, text)`` parts, validating it."""
    if not isinstance(naming_format, str) or not naming_format.strip():
        raise InvalidSettingError(
            "CheckpointingControl: naming_format must be a non-empty string such as "
            "'glompo_checkpoint_%(date)_%(time)'."
        )
    if "/" in naming_format or "\\" in naming_format or "\0" in naming_format:
        raise InvalidSettingError(
            f"CheckpointingControl: naming_format {naming_format!r} must name a plain file: "
            "remove path separators and choose the folder with checkpointing_dir instead."
        )
    if naming_format in {".", ".."}:
        raise InvalidSettingError(
            f"CheckpointingControl: naming_format {naming_format!r} is not a name."
        )
    parts: list[tuple[bool, str]] = []
    last = 0
    for match in _KEY_RE.finditer(naming_format):
        key = match.group(1)
        if key not in _NAMING_KEYS:
            raise InvalidSettingError(
                f"CheckpointingControl: unknown key '%({key})' in naming_format "
                f"{naming_format!r}; known keys are "
                + ", ".join(f"%({k})" for k in _NAMING_KEYS)
                + "."
            )
        parts.append((False, naming_format[last : match.start()]))
        parts.append((True, key))
        last = match.end()
    parts.append((False, naming_format[last:]))
    return [part for part in parts if part[1]]


_REPEAT_SUFFIX = r"(?:_\d+)?"
"""A time-based name taken within the same second gets ``_2``, ``_3``... appended."""


def _has_time_key(parts: list[tuple[bool, str]]) -> bool:
    return any(is_key and text != "count" for is_key, text in parts)


def _compile_pattern(parts: list[tuple[bool, str]]) -> re.Pattern[str]:
    """Regex matching names of the format; ``count`` is a named group (repeats must agree).

    A format with a date or time key also matches its names with a repeat suffix ``_<n>``.
    """
    pieces, has_count = [], False
    for is_key, text in parts:
        if not is_key:
            pieces.append(re.escape(text))
        elif text == "count":
            pieces.append("(?P=count)" if has_count else f"(?P<count>{_NAMING_KEYS['count'][1]})")
            has_count = True
        else:
            pieces.append(f"(?:{_NAMING_KEYS[text][1]})")
    if _has_time_key(parts):
        pieces.append(_REPEAT_SUFFIX)
    return re.compile("".join(pieces))


class CheckpointingControl:
    """Settings of the manager's checkpointing.

    This class is mainly a container of settings; the initialisation arguments match the
    attributes of the same name.

    Parameters
    ----------
    checkpoint_time_frequency
        Seconds between checkpoints during an optimization; ``inf`` disables time-based ones.
    checkpoint_iter_frequency
        Function evaluations between checkpoints; ``inf`` disables evaluation-based ones.
    checkpoint_at_init
        Build a checkpoint at the very start of the optimization (eases starting duplicate jobs).
    checkpoint_at_conv
        Build a checkpoint when the manager converges, before it exits.
    raise_checkpoint_fail
        If ``True`` a failed checkpoint ends the optimization in error (after the manager wrote
        what it can); otherwise a warning is issued and the optimization continues.
    force_task_save
        Skip pickling the task and go straight to its ``checkpoint_save(dir)`` method.
    keep_past
        Number of newest earlier checkpoints kept beside a new one; older ones are deleted, only
        after the new one is safely written. ``-1`` deletes nothing, ``0`` keeps only the new one.
        Only files in ``checkpointing_dir`` whose names match ``naming_format`` are counted.
    naming_format
        Name of new checkpoints, with the keys ``%(date)`` (YYYYMMDD), ``%(year)`` (YYYY),
        ``%(yr)`` (YY), ``%(month)`` (MM), ``%(day)`` (DD), ``%(time)`` (HHMMSS), ``%(hour)``,
        ``%(min)``, ``%(sec)`` and ``%(count)`` (3 digits at least). Any other ``%(...)`` is
        refused; every other character is taken literally. The file is ``<name>.tar.gz`` (a
        format ending in ``.tar.gz``, as in GloMPO's examples, is taken without it). A
        name with a date or time key that is taken already (two checkpoints within one second;
        within one day for a date-only format) gets ``_2``, ``_3``... appended. A name without
        any key is one checkpoint that each new one replaces atomically, with a warning.
    checkpointing_dir
        Folder of the checkpoints. A relative path is made absolute against the current working
        directory *when this object is created*; there is no relation to the manager's
        ``working_dir``.
    self_contained
        Embed in every checkpoint the run's history up to it, so that the archive loads
        without the history files beside it (copied alone, e.g.). A checkpoint then grows
        with the run (about 20 bytes per evaluation) and takes longer; otherwise it stores
        only how far the history files ``history_points.bin`` and ``history_markers.jsonl``
        beside it reach, and loads with its checkpointing folder.

    Attributes
    ----------
    count : int
        Index the next ``%(count)`` name receives. It starts after the largest existing match in
        ``checkpointing_dir`` (files and folders named by the format, with or without the
        ``.tar.gz`` suffix), or at zero.

    Raises
    ------
    InvalidSettingError
        If a frequency is not a positive number, ``keep_past < -1``, or ``naming_format`` holds
        an unknown ``%(key)`` or cannot name a plain file.
    """

    def __init__(
        self,
        checkpoint_time_frequency: float = math.inf,
        checkpoint_iter_frequency: float = math.inf,
        checkpoint_at_init: bool = False,
        checkpoint_at_conv: bool = False,
        raise_checkpoint_fail: bool = False,
        force_task_save: bool = False,
        keep_past: int = -1,
        naming_format: str = "glompo_checkpoint_%(date)_%(time)",
        checkpointing_dir: Path | str = CHECKPOINT_FOLDER,
        self_contained: bool = False,
    ) -> None:
        self.checkpoint_time_frequency = _check_frequency(
            "checkpoint_time_frequency", checkpoint_time_frequency
        )
        self.checkpoint_iter_frequency = _check_frequency(
            "checkpoint_iter_frequency", checkpoint_iter_frequency
        )
        self.checkpoint_at_init = bool(checkpoint_at_init)
        self.checkpoint_at_conv = bool(checkpoint_at_conv)
        self.raise_checkpoint_fail = bool(raise_checkpoint_fail)
        self.force_task_save = bool(force_task_save)
        self.self_contained = bool(self_contained)
        if isinstance(keep_past, bool) or not isinstance(keep_past, int) or keep_past < -1:
            raise InvalidSettingError(
                f"CheckpointingControl: keep_past must be an integer >= -1 (-1 keeps every "
                f"checkpoint), got {keep_past!r}."
            )
        self.keep_past = keep_past
        if isinstance(naming_format, str):
            naming_format = naming_format.removesuffix(".tar.gz")
        self._parts = _split_format(naming_format)
        self.naming_format = naming_format
        self._pattern = _compile_pattern(self._parts)
        self.checkpointing_dir = Path(os.path.abspath(checkpointing_dir))
        self.count = self._next_free_count()

    def matches_naming_format(self, name: str) -> bool:
        """Return ``True`` if ``name`` (without the ``.tar.gz`` suffix) fits ``naming_format``."""
        return self._pattern.fullmatch(name) is not None

    def existing_checkpoints(self) -> list[Path]:
        """Checkpoint files in ``checkpointing_dir`` whose names match ``naming_format``.

        Returns
        -------
        list of Path
            By name; :func:`~glompo_scope_chkpt.checkpoint.locate.timeline_order` orders them
            along the run (``keep_past`` deletes by that order, never by file times).
        """
        if not self.checkpointing_dir.is_dir():
            return []
        found = [
            path
            for path in self.checkpointing_dir.iterdir()
            if path.name.endswith(ARCHIVE_SUFFIX)
            and path.is_file()
            and self.matches_naming_format(path.name[: -len(ARCHIVE_SUFFIX)])
        ]
        return sorted(found)

    def _next_free_count(self) -> int:
        """One past the largest ``%(count)`` of the files and folders named by the format."""
        has_count = any(is_key and text == "count" for is_key, text in self._parts)
        if not has_count or not self.checkpointing_dir.is_dir():
            return 0
        counts = [
            int(match.group("count"))
            for path in self.checkpointing_dir.iterdir()
            if (match := self._pattern.fullmatch(path.name.removesuffix(ARCHIVE_SUFFIX)))
        ]
        return max(counts) + 1 if counts else 0

    def _render(self, now: time.struct_time) -> str:
        pieces = []
        for is_key, text in self._parts:
            if not is_key:
                pieces.append(text)
            elif text == "count":
                pieces.append(f"{self.count:03d}")
            else:
                pieces.append(time.strftime(_NAMING_KEYS[text][0], now))
        return "".join(pieces)

    def get_name(self) -> str:
        """Return a new name for a checkpoint matching the naming format.

        ``%(count)`` continues after the largest existing match, and a date- or time-based name
        that is taken gets ``_2``, ``_3``... appended (such names still match the format), so a
        checkpoint never waits. A format with neither names one checkpoint: its name is returned
        even when taken, and the new checkpoint replaces the old one atomically.
        """
        self.count = max(self.count, self._next_free_count())
        name = self._render(time.localtime())
        if self._taken(name) and _has_time_key(self._parts):
            base, repeat = name, 2
            while self._taken(name := f"{base}_{repeat}"):
                repeat += 1
        self.count += 1
        return name

    def _taken(self, name: str) -> bool:
        return (self.checkpointing_dir / (name + ARCHIVE_SUFFIX)).exists()

    def __repr__(self) -> str:
        return (
            f"CheckpointingControl(checkpoint_time_frequency={self.checkpoint_time_frequency}, "
            f"checkpoint_iter_frequency={self.checkpoint_iter_frequency}, "
            f"checkpoint_at_init={self.checkpoint_at_init}, "
            f"checkpoint_at_conv={self.checkpoint_at_conv}, "
            f"raise_checkpoint_fail={self.raise_checkpoint_fail}, "
            f"force_task_save={self.force_task_save}, keep_past={self.keep_past}, "
            f"naming_format={self.naming_format!r}, "
            f"checkpointing_dir={str(self.checkpointing_dir)!r}, "
            f"self_contained={self.self_contained})"
        )
