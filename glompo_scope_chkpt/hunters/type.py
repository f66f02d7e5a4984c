"""``TypeHunter``: a condition on the class of the victim."""

from __future__ import annotations

from ..errors import InvalidSettingTypeError
from ..optimizers.base import BaseOptimizer
from .basehunter import BaseHunter
from .view import Hunt

__all__ = ["TypeHunter"]


class TypeHunter(BaseHunter):
    """Holds when the victim is of the class ``opt_to_kill``.

    Combine it to apply conditions to one kind of optimizer only, e.g.
    ``TypeHunter(RandomOptimizer) & MinFuncCalls(200) | TypeHunter(CMAOptimizer) & BestUnmoving(
    500, 0.01)`` lets exploratory optimizers go early and converging ones run long.

    Parameters
    ----------
    opt_to_kill
        A :class:`~glompo_scope_chkpt.optimizers.base.BaseOptimizer` subclass.

    Raises
    ------
    InvalidSettingTypeError
        If ``opt_to_kill`` is not a subclass of ``BaseOptimizer``.
    """

    def __init__(self, opt_to_kill: type[BaseOptimizer]) -> None:
        if not (isinstance(opt_to_kill, type) and issubclass(opt_to_kill, BaseOptimizer)):
            raise InvalidSettingTypeError(
                f"TypeHunter needs a BaseOptimizer subclass (e.g. CMAOptimizer), got "
                f"{opt_to_kill!r}."
            )
        self.opt_to_kill = opt_to_kill.__name__

    def check(self, hunt: Hunt) -> bool:
        return hunt.victim.opt_type == self.opt_to_kill

    def describe(self, hunt: Hunt) -> str:
        return f"it is a {self.opt_to_kill}"

    def __repr__(self) -> str:
        return f"TypeHunter({self.opt_to_kill})"
