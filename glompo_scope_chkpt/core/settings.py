"""What the user asked the manager for: validated once at the point of entry.

:class:`ManagerSettings` is saved in every checkpoint. On load, overrides replace saved values
(``visualisation_args`` are merged key by key); settings that cannot change under a running
optimization are refused with an error that says why.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from .._run_files import CHECKPOINT_FOLDER
from .._validation import outside_stacklevel, require_count, require_positive
from ..convergence import BaseChecker, KillsAfterConvergence
from ..engine.executors import EXECUTOR_NAMES
from ..engine.spawning import evaluation_budget
from ..errors import IgnoredSettingWarning, InvalidSettingError, InvalidSettingTypeError
from ..generators import BaseGenerator, RandomGenerator
from ..hunters import BaseHunter
from ..opt_selectors import BaseSelector
from .checkpointing import CheckpointingControl

__all__ = ["ManagerSettings", "DEFAULT_SIGNALS", "validate_bounds", "writable_dir"]

DEFAULT_SIGNALS: tuple[int, ...] = (signal.SIGTERM, signal.SIGUSR1)
"""Signals on which the manager checkpoints and stops (what SLURM sends before a kill)."""

OVERRIDABLE = {
    "max_jobs",
    "max_optimizers",
    "executor",
    "working_dir",
    "convergence_checker",
    "checkpoint_control",
    "summary_files",
    "visualisation",
    "visualisation_args",
    "overwrite_existing",
    "opt_selector",
    "hunter",
    "hunt_frequency",
    "checkpoint_signals",
    "status_frequency",
    "share_best_solutions",
    "replay_evaluations",
}
FIXED = {"bounds", "seed", "generator"}


def validate_bounds(bounds: Sequence[tuple[float, float]]) -> np.ndarray:
    """Return ``bounds`` as an ``(n, 2)`` float array.

    Raises
    ------
    InvalidSettingError
        If it is empty, not pairs, not finite, or some ``min >= max``.
    """
    try:
        array = np.asarray(bounds, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidSettingError(f"bounds must be (min, max) pairs of numbers: {exc}") from exc
    if array.ndim != 2 or array.shape[1] != 2 or len(array) == 0:
        raise InvalidSettingError(
            f"bounds must be a non-empty list of (min, max) pairs, got shape {array.shape}."
        )
    if not np.all(np.isfinite(array)):
        raise InvalidSettingError("bounds must be finite numbers.")
    bad = np.flatnonzero(array[:, 0] >= array[:, 1])
    if bad.size:
        i = int(bad[0])
        raise InvalidSettingError(
            f"bounds[{i}] = ({array[i, 0]:g}, {array[i, 1]:g}): min must be smaller than max."
        )
    return array


def writable_dir(path: str | os.PathLike[str], what: str) -> Path:
    """Make ``path`` absolute, create it, and check it can be written.

    Raises
    ------
    InvalidSettingTypeError
        If ``path`` is not a path.
    InvalidSettingError
        If the folder cannot be created or written.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidSettingTypeError(f"{what} must be a path (str or os.PathLike), got {path!r}.")
    folder = Path(os.path.abspath(path))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidSettingError(f"{what} {folder} cannot be created: {exc.strerror}.") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidSettingError(
            f"{what} {folder} is not writable; choose another folder or fix its permissions."
        )
    return folder


def _first_given(*values: Any) -> Any:
    return next(value for value in values if value is not None)


@dataclass
class ManagerSettings:
    """Validated settings of a manager (see :meth:`GloMPOManager.setup` for each one)."""

    bounds: np.ndarray
    opt_selector: BaseSelector
    working_dir: Path
    max_jobs: int
    max_optimizers: int
    executor: str | None
    seed: int | None
    convergence_checker: BaseChecker
    checkpoint_control: CheckpointingControl
    summary_files: int
    visualisation: bool
    visualisation_args: dict[str, Any]
    overwrite_existing: bool
    hunter: BaseHunter | None
    generator: BaseGenerator
    checkpoint_signals: tuple[int, ...] = DEFAULT_SIGNALS
    hunt_frequency: int = 100
    status_frequency: float = 600.0
    share_best_solutions: bool = False
    replay_evaluations: bool = True
    executor_instance: cf.Executor | None = field(default=None, repr=False, compare=False)

    @property
    def executor_spec(self) -> str | cf.Executor:
        """The executor asked for: a user's Executor object, or one of :data:`EXECUTOR_NAMES`."""
        if self.executor_instance is not None:
            return self.executor_instance
        if self.executor is None:
            raise InvalidSettingError(
                "This run used an executor object, which a checkpoint cannot hold: pass "
                "executor=... to load_manager."
            )
        return self.executor

    @classmethod
    def build(cls, **kwargs: Any) -> ManagerSettings:
        """Validate raw keyword arguments into settings.

        Raises
        ------
        InvalidSettingError
            Naming the setting and what it accepts.
        """
        bounds = validate_bounds(kwargs["bounds"])
        working_dir = writable_dir(kwargs.get("working_dir", "."), "working_dir")
        control = kwargs.get("checkpoint_control")
        if control is None:
            control = CheckpointingControl(checkpointing_dir=working_dir / CHECKPOINT_FOLDER)
        settings = cls(
            bounds=bounds,
            opt_selector=kwargs["opt_selector"],
            working_dir=working_dir,
            max_jobs=0,
            max_optimizers=0,
            executor=None,
            seed=kwargs.get("seed"),
            convergence_checker=kwargs.get("convergence_checker") or KillsAfterConvergence(),
            checkpoint_control=control,
            summary_files=kwargs.get("summary_files", 0),
            visualisation=bool(kwargs.get("visualisation", False)),
            visualisation_args={},
            overwrite_existing=bool(kwargs.get("overwrite_existing", False)),
            hunter=kwargs.get("hunter"),
            generator=kwargs.get("generator") or RandomGenerator(),
            hunt_frequency=kwargs.get("hunt_frequency", 100),
            status_frequency=kwargs.get("status_frequency", 600.0),
            share_best_solutions=kwargs.get("share_best_solutions", False),
            replay_evaluations=kwargs.get("replay_evaluations", True),
        )
        settings._apply(kwargs, raw_vis=kwargs.get("visualisation_args"))
        return settings

    def _apply(self, kwargs: Mapping[str, Any], raw_vis: Mapping[str, Any] | None) -> None:
        from ..scope.vis_args import merge_visualisation_args, validate_visualisation_args

        executor = kwargs.get("executor") or self.executor or "threads"
        if isinstance(executor, cf.Executor):
            self.executor, self.executor_instance = None, executor
        elif executor in EXECUTOR_NAMES:
            self.executor, self.executor_instance = executor, None
        else:
            kind = InvalidSettingError if isinstance(executor, str) else InvalidSettingTypeError
            raise kind(
                f"executor must be one of {EXECUTOR_NAMES} or a concurrent.futures.Executor "
                f"(e.g. a Dask Client.get_executor()), got {executor!r}."
            )
        default_jobs = 1 if self.executor == "serial" else (os.cpu_count() or 1)
        jobs = _first_given(kwargs.get("max_jobs"), self.max_jobs or None, default_jobs)
        self.max_jobs = require_count("max_jobs", jobs)
        opts = _first_given(
            kwargs.get("max_optimizers"), self.max_optimizers or None, max(self.max_jobs, 2)
        )
        self.max_optimizers = require_count("max_optimizers", opts)
        self._check_types()
        if raw_vis is not None or not self.visualisation_args:
            self.visualisation_args = (
                merge_visualisation_args(self.visualisation_args, raw_vis)
                if self.visualisation_args
                else validate_visualisation_args(raw_vis)
            )
        self._check_outputs_possible()

    def _check_outputs_possible(self) -> None:
        """Fail now, not hours into the run, if checkpoints or the movie cannot be written."""
        folder = writable_dir(self.checkpoint_control.checkpointing_dir, "checkpointing_dir")
        if self.visualisation and self.visualisation_args["record_movie"]:
            from ..scope.vis_args import check_recording_possible

            check_recording_possible(self.visualisation_args, folder)

    def _check_types(self) -> None:
        checks = [
            ("opt_selector", self.opt_selector, BaseSelector, "a selector such as CycleSelector"),
            ("convergence_checker", self.convergence_checker, BaseChecker, "e.g. MaxFuncCalls"),
            ("checkpoint_control", self.checkpoint_control, CheckpointingControl, "one"),
            ("generator", self.generator, BaseGenerator, "e.g. RandomGenerator"),
        ]
        for name, value, kind, example in checks:
            if not isinstance(value, kind):
                raise InvalidSettingTypeError(
                    f"{name} must be a {kind.__name__} ({example}), got {value!r}."
                )
        self.generator.check_run(self.bounds, evaluation_budget(self.convergence_checker))
        if self.hunter is not None and not isinstance(self.hunter, BaseHunter):
            raise InvalidSettingTypeError(
                f"hunter must be a BaseHunter or None, got {self.hunter!r}."
            )
        self.hunt_frequency = require_count("hunt_frequency", self.hunt_frequency)
        self.status_frequency = require_positive("status_frequency", self.status_frequency)
        self._check_sharing()
        if not isinstance(self.replay_evaluations, bool):
            raise InvalidSettingTypeError(
                f"replay_evaluations must be True or False, got {self.replay_evaluations!r}."
            )
        summary_files = require_count("summary_files", self.summary_files, minimum=0)
        if summary_files > 3:
            raise InvalidSettingError(
                f"summary_files must be 0, 1 (YAML summary), 2 (+ plots) or 3 (+ HDF5 log), "
                f"got {self.summary_files!r}."
            )
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
        ):
            raise InvalidSettingTypeError(f"seed must be an integer or None, got {self.seed!r}.")
        self.checkpoint_signals = tuple(signal.Signals(s) for s in self.checkpoint_signals)

    def _check_sharing(self) -> None:
        """Check ``share_best_solutions``; warn when no optimizer of the selector can use it."""
        if not isinstance(self.share_best_solutions, bool):
            raise InvalidSettingTypeError(
                f"share_best_solutions must be True or False, got {self.share_best_solutions!r}."
            )
        specs = getattr(self.opt_selector, "specs", [])
        if self.share_best_solutions and not any(hasattr(cls, "inject") for cls, _ in specs):
            names = ", ".join(sorted({cls.__name__ for cls, _ in specs})) or "none"
            warnings.warn(
                f"share_best_solutions=True has no effect: no optimizer of the selector ({names}) "
                "takes the run's best point (an optimizer takes it with an inject(x, fx) method, "
                "e.g. CMAOptimizer with injection_frequency=...).",
                IgnoredSettingWarning,
                stacklevel=outside_stacklevel(),
            )

    def with_overrides(self, overrides: Mapping[str, Any]) -> ManagerSettings:
        """Return a copy with ``overrides`` applied.

        Raises
        ------
        InvalidSettingError
            For an unknown name, or a change of a setting fixed for the whole run.
        """
        known = {f.name for f in fields(self)} - {"executor_instance"}
        unknown = set(overrides) - known
        if unknown:
            raise InvalidSettingError(
                f"Unknown setting(s) {sorted(unknown)}; settings that may change on load: "
                f"{sorted(OVERRIDABLE)}."
            )
        self._refuse_fixed(overrides)
        if self.executor is None and "executor" not in overrides:
            raise InvalidSettingError(
                "This run used an executor object (e.g. a Dask or MPI executor), which a "
                "checkpoint cannot hold: pass executor=... ('serial', 'threads', 'processes' or "
                "an Executor) to load_manager."
            )
        plain = {k: v for k, v in overrides.items() if k in OVERRIDABLE and k not in _SPECIAL}
        new = replace(self, **plain)
        if "working_dir" in overrides:
            new.working_dir = writable_dir(overrides["working_dir"], "working_dir")
        new._apply(overrides, raw_vis=overrides.get("visualisation_args"))
        return new

    def _refuse_fixed(self, overrides: Mapping[str, Any]) -> None:
        if "bounds" in overrides:
            new = validate_bounds(overrides["bounds"])
            if new.shape != self.bounds.shape or not np.array_equal(new, self.bounds):
                raise InvalidSettingError(
                    f"bounds cannot change when resuming: the checkpoint's optimizers search "
                    f"{len(self.bounds)} parameters within the saved bounds. Start a new "
                    f"optimization (new_manager) to search other bounds."
                )
        for name in ("seed", "generator"):
            if name in overrides and overrides[name] != getattr(self, name):
                raise InvalidSettingError(
                    f"{name} cannot change when resuming: the checkpoint restores the run's "
                    f"random state, so a new {name} would break reproducibility."
                )


_SPECIAL = {"executor", "max_jobs", "max_optimizers", "working_dir", "visualisation_args"}
