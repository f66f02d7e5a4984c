"""The public face of an optimization: set it up or load it, run it, checkpoint it."""

from __future__ import annotations

import concurrent.futures as cf
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._logging import get_logger
from .._run_files import LOG_FILENAME, OUTPUT_FILES, ROLLBACK_GLOB, still_name
from .._tempfiles import reading_scratch
from ..checkpoint.writer import take_checkpoint
from ..convergence import BaseChecker
from ..engine.executors import check_task_sendable, make_executor, start_workers
from ..errors import InvalidSettingError, InvalidSettingTypeError, TaskNotAvailableError
from ..generators import BaseGenerator
from ..hunters import BaseHunter
from ..opt_selectors import BaseSelector
from ..result import Result
from .attributes import GloMPOAttributes
from .checkpointing import CheckpointingControl
from .glompo_keywords import GLOMPO_KEYWORDS, translate_glompo_keywords
from .relocation import relocation_overrides
from .settings import ManagerSettings
from .state import ResumePoint, RunState

__all__ = ["GloMPOManager"]

logger = get_logger(__name__)


class GloMPOManager(GloMPOAttributes):
    """Runs a managed, parallel, checkpointed optimization.

    Create one with :meth:`new_manager` (or ``GloMPOManager().setup(...)``), or resume one with
    :meth:`load_manager` (or ``GloMPOManager().load_checkpoint(...)``); then call
    :meth:`start_manager`. GloMPO's attributes ``result``, ``f_counter``, ``o_counter``,
    ``working_dir`` and ``is_initialised``, and :meth:`write_summary_file`, are here too.
    """

    def __init__(self) -> None:
        self._run: tuple[ManagerSettings, RunState] | None = None
        """The settings and state, set together by setup or load."""
        self.task: Callable[[np.ndarray], float] | None = None
        self._resumed_from: ResumePoint | None = None
        self._last_result: Result | None = None

    @property
    def is_initialised(self) -> bool:
        """Whether the manager is set up or loaded, ready for :meth:`start_manager`."""
        return self._run is not None

    @property
    def settings(self) -> ManagerSettings:
        """What the run was asked to do (validated, with any overrides applied on load).

        Raises
        ------
        InvalidSettingError
            If the manager is neither set up nor loaded.
        """
        return self._ready()[0]

    @property
    def state(self) -> RunState:
        """The state of the run: counters, optimizers, history, checkpoints.

        Raises
        ------
        InvalidSettingError
            If the manager is neither set up nor loaded.
        """
        return self._ready()[1]

    def _ready(self) -> tuple[ManagerSettings, RunState]:
        if self._run is None:
            raise InvalidSettingError(
                "The manager is not set up: call setup(...)/new_manager(...) or load_manager(...)."
            )
        return self._run

    # ------------------------------------------------------------------------------ creation
    @classmethod
    def new_manager(
        cls,
        task: Callable[[np.ndarray], float],
        bounds: Sequence[tuple[float, float]],
        opt_selector: BaseSelector,
        working_dir: str | Path = ".",
        **kwargs: Any,
    ) -> GloMPOManager:
        """Create a manager for a new optimization; see :meth:`setup` for the arguments."""
        return cls().setup(task, bounds, opt_selector, working_dir, **kwargs)

    def setup(
        self,
        task: Callable[[np.ndarray], float],
        bounds: Sequence[tuple[float, float]],
        opt_selector: BaseSelector,
        working_dir: str | Path = ".",
        *,
        max_jobs: int | None = None,
        executor: str | cf.Executor | None = None,
        seed: int | None = None,
        convergence_checker: BaseChecker | None = None,
        checkpoint_control: CheckpointingControl | None = None,
        summary_files: int = 0,
        visualisation: bool = False,
        visualisation_args: Mapping[str, Any] | None = None,
        overwrite_existing: bool = False,
        max_optimizers: int | None = None,
        hunter: BaseHunter | None = None,
        generator: BaseGenerator | None = None,
        hunt_frequency: int = 100,
        status_frequency: float = 600,
        share_best_solutions: bool = False,
        replay_evaluations: bool = True,
        **glompo_keywords: Any,
    ) -> GloMPOManager:
        """Configure a new optimization.

        Parameters
        ----------
        task
            The function to minimise: ``task(x) -> float``. For the ``"processes"`` executor it
            must be picklable.
        bounds
            ``(min, max)`` of each parameter.
        opt_selector
            Chooses each new optimizer, e.g. ``CycleSelector(CMAOptimizer, RandomOptimizer)``.
        working_dir
            Folder of the log, the summaries, the final movie and the ``CHKPT``/``STOP_x`` files.
        max_jobs
            Evaluations run at once (default: the CPU count; 1 with ``"serial"``).
        executor
            ``"serial"``, ``"threads"`` (the default), ``"processes"`` or any
            ``concurrent.futures.Executor``.
        seed
            Seed of the run; with ``"serial"`` a seeded run is exactly reproducible.
        convergence_checker
            When the whole run ends; default ``KillsAfterConvergence(0, 1)``, GloMPO's: as soon
            as one optimizer converges.
        checkpoint_control
            A :class:`CheckpointingControl`; default: checkpoints only on request (``CHKPT``
            file, a signal, :meth:`checkpoint`), in ``working_dir/checkpoints``.
        summary_files
            0 nothing, 1 the YAML summary, 2 also trajectory plots, 3 also the HDF5 log.
        visualisation, visualisation_args
            Show the live scope, with GloMPO's scope arguments (see ``scope.vis_args``).
        overwrite_existing
            Remove earlier output files in ``working_dir``; otherwise their presence is an error.
        max_optimizers
            Optimizers running at once (default ``max(max_jobs, 2)``).
        hunter
            Stops optimizers that stopped contributing, e.g. ``StagnationHunter(200)`` or
            ``BestUnmoving(100, 0.01) & TimeAnnealing()``; default none.
        generator
            Start points of new optimizers; default uniformly random.
        hunt_frequency
            Evaluations between hunts: after every ``hunt_frequency``-th evaluation of the run,
            each running optimizer is judged by ``hunter`` against the one that found the best
            value so far.
        status_frequency
            Seconds between two status lines (INFO, logger ``glompo_scope_chkpt.engine.loop``, also
            ``glompo.manager``): evaluations, optimizers, the best value.
        share_best_solutions
            Hand every new best point to each running optimizer that takes one (an
            ``inject(x, fx)`` method, e.g. :class:`CMAOptimizer` with ``injection_frequency``),
            and to each optimizer that starts after it.
        replay_evaluations
            On resume, answer the evaluations the log's rolled-back rows already hold from those
            rows instead of calling the task, for points bit for bit equal to the logged ones
            (needs ``summary_files=3``). A task with ``deterministic = False`` is never
            replayed; pass ``False`` if the task changed since those rows were logged.
        **glompo_keywords
            GloMPO's names: ``backend`` (``"threads"``, ``"processes"``, ``"processes_forced"``:
            the executor), ``killing_conditions`` (the hunter), ``x0_generator`` (the
            generator); giving both names of one setting is an error. ``aggressive_kill``,
            ``end_timeout``, ``force_terminations_after``, ``split_printstreams`` and
            ``is_log_detailed`` concern GloMPO's optimizer threads and processes, which do not
            exist here: accepted, and a value asking for something is warned about once
            (:class:`IgnoredSettingWarning`, saying why).

        Returns
        -------
        GloMPOManager
            ``self``, ready for :meth:`start_manager`.

        Raises
        ------
        InvalidSettingTypeError
            If a setting has the wrong type, a keyword is unknown, or a setting is given under
            both its names; it is also a ``TypeError``.
        InvalidSettingError
            If a setting is invalid or earlier outputs exist without ``overwrite_existing``.
        """
        if not callable(task):
            raise InvalidSettingTypeError(
                f"task must be callable as task(x) -> float, got {task!r}."
            )
        given = dict(
            bounds=bounds,
            opt_selector=opt_selector,
            working_dir=working_dir,
            max_jobs=max_jobs,
            executor=executor,
            seed=seed,
            convergence_checker=convergence_checker,
            checkpoint_control=checkpoint_control,
            summary_files=summary_files,
            visualisation=visualisation,
            visualisation_args=visualisation_args,
            overwrite_existing=overwrite_existing,
            max_optimizers=max_optimizers,
            hunter=hunter,
            generator=generator,
            hunt_frequency=hunt_frequency,
            status_frequency=status_frequency,
            share_best_solutions=share_best_solutions,
            replay_evaluations=replay_evaluations,
        )
        given.update(translate_glompo_keywords(glompo_keywords, given, known=given))
        settings = ManagerSettings.build(**given)
        self._clear_outputs(settings)
        self.task = task
        self._run = settings, RunState(key=uuid.uuid4().hex, rng=np.random.default_rng(seed))
        self._resumed_from, self._last_result = None, None
        return self

    @staticmethod
    def _clear_outputs(settings: ManagerSettings) -> None:
        outfile = settings.visualisation_args["movie_kwargs"]["outfile"]
        still = still_name(outfile)
        present = [settings.working_dir / n for n in (*OUTPUT_FILES, outfile, still)]
        present = [path for path in present if path.exists()]
        present += sorted(settings.working_dir.glob(ROLLBACK_GLOB))
        if present and not settings.overwrite_existing:
            raise InvalidSettingError(
                f"{settings.working_dir} already holds output of an optimization "
                f"({', '.join(p.name for p in present)}). Use another working_dir, resume it with "
                "load_manager, or pass overwrite_existing=True to remove those files."
            )
        for path in present:
            path.unlink()

    # ------------------------------------------------------------------------------- loading
    @classmethod
    def load_manager(
        cls,
        path: str | Path,
        task: Callable[[np.ndarray], float] | None = None,
        task_loader: Callable[[Path], Any] | None = None,
        **overrides: Any,
    ) -> GloMPOManager:
        """Resume an optimization from a checkpoint; see :meth:`load_checkpoint`."""
        return cls().load_checkpoint(path, task=task, task_loader=task_loader, **overrides)

    def load_checkpoint(
        self,
        path: str | Path,
        task: Callable[[np.ndarray], float] | None = None,
        task_loader: Callable[[Path], Any] | None = None,
        **overrides: Any,
    ) -> GloMPOManager:
        """Load a checkpoint into this manager.

        Loading unpickles the checkpoint: only load checkpoints from a source you trust.

        Parameters
        ----------
        path
            A checkpoint file, or a checkpointing folder: then its newest complete checkpoint.
        task
            The task, replacing the saved one (needed if the checkpoint holds none).
        task_loader
            ``task_loader(dir) -> task`` rebuilds a task saved with ``checkpoint_save(dir)``.
        **overrides
            Settings replacing the saved ones (``executor``, ``max_jobs``, ``working_dir``,
            ``convergence_checker``, ``checkpoint_control``, ``visualisation``,
            ``replay_evaluations``, ...), also under
            GloMPO's names (``backend``, ``killing_conditions``, ...; see :meth:`setup`).
            ``visualisation_args`` are merged key by key into the saved ones.

        Returns
        -------
        GloMPOManager
            ``self``, ready for :meth:`start_manager`.

        Raises
        ------
        CheckpointLoadError
            If the checkpoint is missing, damaged or unsafe; for a folder, if none of its
            checkpoints reads whole (each one passed over is named in a warning).
        TaskNotAvailableError
            If no task is saved or supplied.
        InvalidSettingError
            For overrides that are unknown or cannot change (``bounds``, ``seed``).
        LogKeyMismatchError
            If the working dir's ``glompo_log.h5`` belongs to another optimization.
        LogFileError
            If that log is damaged, not a log, or locked by another program.
        """
        from ..checkpoint.load import load_checkpoint_run
        from ..log.opener import check_log

        glompo = {name: overrides.pop(name) for name in GLOMPO_KEYWORDS & overrides.keys()}
        overrides.update(translate_glompo_keywords(glompo, overrides))

        with reading_scratch(Path(path)) as tmp:  # beside the checkpoint, not in $TMPDIR
            loaded = load_checkpoint_run(Path(path), tmp, task, task_loader)
        archive, saved, state = loaded.archive, loaded.saved, loaded.saved.state
        placed = relocation_overrides(saved.settings, state, archive.parent, overrides)
        settings = saved.settings.with_overrides(placed)
        state.elapsed_before = saved.elapsed
        if settings.summary_files >= 3:
            log_path = settings.working_dir / LOG_FILENAME
            check_log(log_path, state.key, len(settings.bounds), state.f_counter)
        self._run, self.task = (settings, state), loaded.task
        self._resumed_from = ResumePoint(
            loaded.contents.meta["name"],
            Path(os.path.abspath(archive.parent)),
            saved.settings.visualisation_args,
        )
        self._last_result = None
        logger.info("Loaded %s at f_counter=%d", archive, state.f_counter)
        return self

    # ------------------------------------------------------------------------------- running
    def checkpoint(self, self_contained: bool = False) -> Path:
        """Write a checkpoint of the optimization as it stands and return its path.

        Parameters
        ----------
        self_contained
            Embed the run's history in the archive, so that it loads even when copied alone
            (see :class:`CheckpointingControl`'s ``self_contained``).

        Raises
        ------
        CheckpointError
            If it cannot be written.
        """
        return take_checkpoint(
            self.settings,
            self.state,
            self.task,
            elapsed=self.state.elapsed_before,
            session=len(self.state.sessions),
            pending=[],
            self_contained=self_contained,
        )

    def start_manager(self) -> Result:
        """Run the optimization until it converges or a checkpoint signal stops it.

        Returns
        -------
        Result
            The best point, its value, statistics and its origin; ``interrupted`` tells
            whether the session stopped on a signal (resume it from its checkpoint).
        """
        from ..engine.session import run_session

        settings, state = self.settings, self.state
        if self.task is None:
            raise TaskNotAvailableError(
                "The manager has no task: pass task=... to setup/new_manager or load_manager."
            )
        executor, owned = make_executor(settings.executor_spec, settings.max_jobs)
        try:
            check_task_sendable(self.task, executor)
            start_workers(executor)
            result = run_session(settings, state, self.task, executor, self._resumed_from)
            self._last_result = result
        finally:
            self._resumed_from = None
            if owned:
                executor.shutdown(wait=False, cancel_futures=True)
        return result
