"""What the outcome of one evaluation means: a value, ``nan``, or a failure.

A failed evaluation (the task raised, or returned something that is not a real number) costs the
user as much as a successful one, so it counts like one: ``f_counter`` advances and the log gets
its row, with ``fx = nan``. The optimizer that asked for the point crashes with the failure as
its reason. A session reports its first failure once, at WARNING and with the traceback, and its
first ``nan`` once; later ones are logged at INFO.

A task that never works would otherwise make the manager start optimizers that crash at once,
forever: a session in which :data:`TASK_FAILURE_LIMIT` optimizers crashed on failed evaluations
before any evaluation returned a number ends with
:class:`~glompo_scope_chkpt.errors.TaskFailedError`.
"""

from __future__ import annotations

import numbers
import traceback
import warnings
from typing import Any

import numpy as np

from .._logging import get_logger
from ..errors import TaskFailedError

__all__ = ["TASK_FAILURE_LIMIT", "FailureWatch", "describe_failure", "function_value"]

logger = get_logger(__name__)

TASK_FAILURE_LIMIT = 10
"""Optimizers crashed on failed evaluations, none returning a number, that end a session.

Ten: a task failing at random now and then (one call in two) reaches it with a chance of one in
a thousand, while a broken task costs about ten evaluations before the run says so.
"""


def function_value(value: Any) -> float | None:
    """Return ``value`` as a float if it is a real number, else ``None``.

    Python and NumPy integers and floats and 0-d real arrays are numbers; booleans, strings,
    sequences and ``None`` are not.
    """
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iuf":
        return float(value)
    return None


def describe_failure(exc: BaseException | None, value: Any = None) -> str:
    """Say why an evaluation failed: the exception's type and text, or what the task returned."""
    if exc is not None:
        return f"{type(exc).__name__}: {exc}"
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"the task returned {type(value).__name__} {text}, not a number"


class FailureWatch:
    """Watches the outcomes of one session's evaluations.

    Parameters
    ----------
    limit
        Optimizers crashed on failed evaluations, before any evaluation returned a number, that
        end the session.

    Attributes
    ----------
    succeeded : bool
        An evaluation of this session returned a number (set by the manager's loop).
    """

    def __init__(self, limit: int = TASK_FAILURE_LIMIT) -> None:
        self.limit = limit
        self.succeeded = False
        self.crashed_before_success = 0
        self.first_failure: str | None = None
        self.nan_reported = False

    def failed(
        self, opt_id: int, call_id: int, failure: str, exc: BaseException | None, crashed: bool
    ) -> None:
        """Take one failed evaluation of optimizer ``opt_id``, which ``crashed`` on it.

        Raises
        ------
        TaskFailedError
            If this crash reaches the limit while no evaluation of the session has succeeded.
        """
        if self.first_failure is None:
            self.first_failure = f"evaluation {call_id} failed: {failure}"
            self._report_first(opt_id, exc)
        if not crashed or self.succeeded:
            return
        self.crashed_before_success += 1
        if self.crashed_before_success >= self.limit:
            raise TaskFailedError(
                f"The task fails: {self.crashed_before_success} optimizers crashed before a "
                f"single evaluation succeeded (first: {self.first_failure}). Call the task "
                "yourself on a point inside the bounds to see why; with worker processes or a "
                "cluster, check that the workers can import it and everything it uses. The first "
                "traceback was logged at WARNING."
            )

    def _report_first(self, opt_id: int, exc: BaseException | None) -> None:
        warnings.warn(
            f"An evaluation failed and its optimizer {opt_id} crashed: {self.first_failure}. "
            "Failed evaluations count as evaluations (logged with fx = nan); each one crashes "
            "the optimizer that asked for it. Later failures are logged at INFO only.",
            stacklevel=4,
        )
        if exc is None:
            logger.warning("First failed evaluation: %s", self.first_failure)
            return
        logger.warning(
            "First failed evaluation: %s\n%s",
            self.first_failure,
            "".join(traceback.format_exception(exc)).rstrip(),
        )

    def nan(self, opt_id: int, call_id: int) -> None:
        """Take a ``nan`` returned by the task (an evaluation like any other); report the first."""
        if self.nan_reported:
            return
        self.nan_reported = True
        message = (
            f"The task returned nan at evaluation {call_id} (optimizer {opt_id}). nan counts as "
            "an evaluation, is logged as it is and never becomes the best value; later nan "
            "values are not reported."
        )
        warnings.warn(message, stacklevel=4)
        logger.warning("%s", message)
