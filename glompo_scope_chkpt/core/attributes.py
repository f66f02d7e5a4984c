"""The attributes and the summary a GloMPO script reads of its manager, under GloMPO's names."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .._run_files import SUMMARY_FILENAME
from ..engine.report import run_result, run_summary
from ..result import Result
from .settings import ManagerSettings, writable_dir
from .state import RunState

__all__ = ["GloMPOAttributes"]


class GloMPOAttributes:
    """GloMPO's names of what the manager knows of its run.

    Mixed into :class:`~glompo_scope_chkpt.core.manager.GloMPOManager`, whose ``settings`` and
    ``state`` (raising :class:`~glompo_scope_chkpt.errors.InvalidSettingError` until the manager
    is set up or loaded) they read.
    """

    _last_result: Result | None

    if TYPE_CHECKING:  # the manager's properties

        @property
        def settings(self) -> ManagerSettings: ...

        @property
        def state(self) -> RunState: ...

    @property
    def result(self) -> Result:
        """The best point found so far, as a :class:`Result`.

        After :meth:`start_manager`, the result it returned; before (a loaded manager), the
        incumbent of the run as the checkpoint left it.
        """
        last = self._last_result
        if last is not None and last.stats.get("f_counter") == self.state.f_counter:
            return last
        return run_result(self.state)

    @property
    def f_counter(self) -> int:
        """Evaluations of the task so far, over every session."""
        return self.state.f_counter

    @property
    def o_counter(self) -> int:
        """Optimizers started so far, over every session."""
        return self.state.n_started

    @property
    def working_dir(self) -> Path:
        """The folder of the log, the summaries, the movie and the ``CHKPT``/``STOP_x`` files."""
        return self.settings.working_dir

    def write_summary_file(self, dump_dir: str | os.PathLike[str] | None = None) -> Path:
        """Write the YAML summary of the run as it stands now, and return its path.

        Parameters
        ----------
        dump_dir
            The folder to write ``glompo_manager_log.yml`` in (created if needed); default the
            working dir. Handy to read a loaded checkpoint without touching its run folder.

        Returns
        -------
        Path
            The summary written.

        Raises
        ------
        InvalidSettingError
            If the manager is neither set up nor loaded, or ``dump_dir`` cannot be written.
        """
        from ..log.summary import write_yaml_summary

        settings, state = self.settings, self.state
        folder = settings.working_dir if dump_dir is None else writable_dir(dump_dir, "dump_dir")
        path = folder / SUMMARY_FILENAME
        write_yaml_summary(path, run_summary(settings, state))
        return path
