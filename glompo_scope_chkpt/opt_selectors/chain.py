"""``ChainSelector``: one optimizer after another as the evaluation count passes thresholds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._validation import require_number
from ..errors import InvalidSettingError, InvalidSettingTypeError
from .baseselector import BaseSelector, OptimizerSpec

if TYPE_CHECKING:
    from ..engine.spawning import RunView

__all__ = ["ChainSelector"]


def _thresholds(values: Any, n_specs: int) -> list[float]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise InvalidSettingTypeError(
            f"ChainSelector: fcall_thresholds must be a list of numbers, got {values!r}."
        )
    for value in values:
        require_number("ChainSelector fcall_thresholds", value, "numbers")
    if len(values) not in (n_specs - 1, n_specs):
        raise InvalidSettingError(
            f"ChainSelector: {n_specs} optimizers need {n_specs - 1} fcall_thresholds (one "
            f"switch between each two), or {n_specs} to stop spawning at the last; got "
            f"{len(values)}."
        )
    if list(values) != sorted(values):
        raise InvalidSettingError(
            f"ChainSelector: fcall_thresholds must not decrease, got {list(values)}."
        )
    return [float(value) for value in values]


class ChainSelector(BaseSelector):
    """Starts the given optimizers one kind after another as the run spends evaluations.

    With ``n`` optimizers, the first ``n - 1`` thresholds are the evaluation counts at which the
    selector moves on to the next optimizer; an ``n``-th threshold is the count from which no
    optimizer starts at all. ``ChainSelector(A, B, fcall_thresholds=[1000])`` starts ``A``
    before 1000 evaluations and ``B`` after; with ``[1000, 2000]`` nothing starts from 2000 on.

    Parameters
    ----------
    *specs, allow_spawn
        See :class:`.BaseSelector`.
    fcall_thresholds
        ``n - 1`` or ``n`` non-decreasing evaluation counts.

    Raises
    ------
    InvalidSettingTypeError
        If ``fcall_thresholds`` is not a list of numbers.
    InvalidSettingError
        If it has the wrong length or decreases (and see :class:`.BaseSelector`).
    """

    def __init__(
        self, *specs: OptimizerSpec, fcall_thresholds: Sequence[float], allow_spawn: Any = None
    ) -> None:
        super().__init__(*specs, allow_spawn=allow_spawn)
        self.fcall_thresholds = _thresholds(fcall_thresholds, len(self.specs))

    def _select(self, view: RunView) -> int | None:
        index = sum(1 for threshold in self.fcall_thresholds if view.f_counter >= threshold)
        return index if index < len(self.specs) else None

    def _why_no_more(self, view: RunView) -> str:
        return (
            f"ChainSelector starts no optimizer from {self.fcall_thresholds[-1]:g} function "
            f"evaluations on"
        )

    def _repr_extras(self) -> list[str]:
        thresholds = [f"{t:g}" for t in self.fcall_thresholds]
        return [f"fcall_thresholds=[{', '.join(thresholds)}]", *super()._repr_extras()]
