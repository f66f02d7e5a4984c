"""GloMPO's keywords of ``setup``/``load_checkpoint``, translated into this package's settings.

Three of GloMPO's keywords name a setting that has another name here (``backend`` is
``executor``, ``killing_conditions`` is ``hunter``, ``x0_generator`` is ``generator``); giving
both names of one setting is an error. Five describe GloMPO's optimizer threads and processes,
which do not exist here: optimizers are ask/tell objects driven by the manager's own loop, and
only the task's evaluations run in parallel. These are accepted, their types checked, and a
value that asks for something (``aggressive_kill=True``, ...) is warned about once, saying why
it has no effect.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

from .._validation import outside_stacklevel, require_number
from ..errors import IgnoredSettingWarning, InvalidSettingError, InvalidSettingTypeError

__all__ = ["GLOMPO_KEYWORDS", "translate_glompo_keywords"]

RENAMED = {"backend": "executor", "killing_conditions": "hunter", "x0_generator": "generator"}
"""GloMPO's name of a setting -> its name here."""

BACKENDS = {"threads": "threads", "processes": "processes", "processes_forced": "processes"}
"""GloMPO's backends -> executors. The process pool's workers are not daemons, so a task may
start processes of its own: what GloMPO's ``'processes_forced'`` allowed."""

_NO_THREADS = (
    "optimizers here are ask/tell objects driven by the manager's own loop, not threads or "
    "processes of their own; only the task's evaluations run in parallel, on the executor"
)


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidSettingTypeError(f"{name} must be True or False, got {value!r}.")
    return value


def _check_seconds(name: str, value: Any) -> float | None:
    return None if value is None else require_number(name, value, "a number of seconds or None")


_Inactive = Callable[[Any], bool]
IGNORED: dict[str, tuple[Callable[[str, Any], Any], _Inactive, str]] = {
    "aggressive_kill": (
        _check_bool,
        lambda value: value is False,
        f"{_NO_THREADS}. A killed optimizer stops at once: it is never asked for another point "
        "and the values of its evaluations still running are logged but not told to it",
    ),
    "end_timeout": (
        _check_seconds,
        lambda value: value is None,
        f"{_NO_THREADS}, so there is nothing to join when the run ends. Evaluations still "
        "running then are cancelled, or left to finish in the background",
    ),
    "force_terminations_after": (
        _check_seconds,
        lambda value: value is None or value <= 0,
        f"{_NO_THREADS}, so no optimizer can hang. An evaluation that hangs keeps its worker: "
        "give the task a timeout of its own",
    ),
    "split_printstreams": (
        _check_bool,
        lambda value: value is False,
        f"{_NO_THREADS}; they print nothing, and what the task prints goes to the output of "
        "the process that evaluates it",
    ),
    "is_log_detailed": (
        _check_bool,
        lambda value: value is False,
        "the log records the value task(x) returns for each evaluation; task.detailed_call is "
        "never called",
    ),
}
"""GloMPO's keywords without effect here: (type check, whether a value asks for nothing, why)."""

GLOMPO_KEYWORDS = frozenset(RENAMED) | frozenset(IGNORED)
"""Every GloMPO keyword of ``setup`` whose name is not also a setting here."""


def _translate_backend(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidSettingTypeError(
            f"backend must be one of {sorted(BACKENDS)}, got {value!r}; here it chooses the "
            "executor of the evaluations (executor= also takes 'serial' or an Executor)."
        )
    if value not in BACKENDS:
        raise InvalidSettingError(
            f"backend must be one of {sorted(BACKENDS)}, got {value!r} (or use executor=: "
            "'serial', 'threads', 'processes' or a concurrent.futures.Executor)."
        )
    return BACKENDS[value]


def translate_glompo_keywords(
    glompo: Mapping[str, Any], ours: Mapping[str, Any], known: Any = ()
) -> dict[str, Any]:
    """Return this package's settings for GloMPO's keywords ``glompo``.

    Parameters
    ----------
    glompo
        Keywords given under GloMPO's names only (see :data:`GLOMPO_KEYWORDS`).
    ours
        The settings given under this package's names, ``None`` where not given.
    known
        This package's setting names, listed in the error for an unknown keyword.

    Returns
    -------
    dict
        The renamed settings (``executor``, ``hunter``, ``generator``) that were given.

    Raises
    ------
    InvalidSettingTypeError
        For an unknown keyword (as Python does), a setting given under both names, or a value of
        the wrong type.
    InvalidSettingError
        For an unknown ``backend``.
    """
    unknown = sorted(set(glompo) - GLOMPO_KEYWORDS)
    if unknown:
        raise InvalidSettingTypeError(
            f"Unknown keyword(s) {unknown}. Settings: {sorted(known)}; GloMPO's names also "
            f"accepted: {sorted(GLOMPO_KEYWORDS)}."
        )
    settings: dict[str, Any] = {}
    for name, value in glompo.items():
        if name in RENAMED:
            ours_name = RENAMED[name]
            if ours.get(ours_name) is not None:
                raise InvalidSettingTypeError(
                    f"{name}= and {ours_name}= name the same setting ({name} is GloMPO's name "
                    f"of {ours_name}); give only one of them."
                )
            settings[ours_name] = _translate_backend(value) if name == "backend" else value
            continue
        check, inactive, why = IGNORED[name]
        if not inactive(check(name, value)):
            message = f"{name}={value!r} has no effect: {why}."
            warnings.warn(message, IgnoredSettingWarning, stacklevel=outside_stacklevel())
    return settings
