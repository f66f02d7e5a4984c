"""The package's loggers, whose records also reach the loggers GloMPO's users configure.

A module's logger is ``glompo_scope_chkpt.<module>`` as usual. Its records also go to GloMPO's
logger of the same part (``glompo.manager`` for the manager and its checkpoints,
``glompo.scope`` for the scope and the movie, ``glompo.logger`` for the HDF5 log), so a GloMPO
script that configures ``logging.getLogger("glompo.manager")`` sees the manager's progress
unchanged. A record is created when either logger is enabled for its level, and each handler
receives it at most once: a handler reached through both hierarchies (e.g. one on the root
logger) gets only the record of this package's logger.
"""

from __future__ import annotations

import copy
import logging
import sys
from typing import Any

__all__ = ["GLOMPO_LOGGERS", "get_logger"]

GLOMPO_LOGGERS = {
    "core": "glompo.manager",
    "engine": "glompo.manager",
    "checkpoint": "glompo.manager",
    "_tempfiles": "glompo.manager",
    "scope": "glompo.scope",
    "movie": "glompo.scope",
    "log": "glompo.logger",
    "convergence": "glompo.checker",
    "hunters": "glompo.hunter",
    "generators": "glompo.generator",
    "opt_selectors": "glompo.selector",
    "optimizers": "glompo.optimizers",
}
"""First part of a module's name inside the package -> GloMPO's logger of that part."""

_LOGGING_FILES = {logging.__file__, __file__}


def _handlers(logger: logging.Logger, record: logging.LogRecord) -> list[logging.Handler]:
    """The handlers ``logger`` would call for ``record``, walking up as propagation does."""
    found: list[logging.Handler] = []
    node: logging.Logger | None = logger
    while node is not None:
        found += [h for h in node.handlers if record.levelno >= h.level]
        if not node.propagate:
            break
        node = node.parent
    return found


class TwinLogger(logging.LoggerAdapter):
    """A module's logger whose records are also GloMPO's logger's.

    Use it as a :class:`logging.Logger` (``debug``, ``info``, ``warning``, ``error``,
    ``exception``, ``log``); ``logger`` is this package's logger, ``twin`` GloMPO's.
    """

    def __init__(self, name: str, twin: str) -> None:
        super().__init__(logging.getLogger(name), {})
        self.twin = logging.getLogger(twin)

    def isEnabledFor(self, level: int) -> bool:
        """Whether a record of ``level`` reaches this package's logger or GloMPO's."""
        return self.logger.isEnabledFor(level) or self.twin.isEnabledFor(level)

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log ``msg % args`` at ``level`` to this package's logger and to GloMPO's."""
        if not self.isEnabledFor(level):
            return
        record = self._record(level, msg, args, **kwargs)
        done: list[logging.Handler] = []
        if self.logger.isEnabledFor(level):
            done = _handlers(self.logger, record)
            self.logger.handle(record)
        if not self.twin.isEnabledFor(level):
            return
        twin_record = copy.copy(record)
        twin_record.name = self.twin.name
        if not self.twin.filter(twin_record):
            return
        for handler in _handlers(self.twin, twin_record):
            if all(handler is not seen for seen in done):
                handler.handle(twin_record)

    def _record(
        self,
        level: int,
        msg: object,
        args: tuple[Any, ...],
        exc_info: Any = None,
        extra: Any = None,
        stack_info: bool = False,
        stacklevel: int = 1,
    ) -> logging.LogRecord:
        frame = sys._getframe(1)
        while frame.f_back is not None and frame.f_code.co_filename in _LOGGING_FILES:
            frame = frame.f_back
        for _ in range(stacklevel - 1):
            frame = frame.f_back or frame
        if exc_info and not isinstance(exc_info, tuple):
            exc_info = (
                (type(exc_info), exc_info, exc_info.__traceback__)
                if isinstance(exc_info, BaseException)
                else sys.exc_info()
            )
        code = frame.f_code
        return self.logger.makeRecord(
            self.logger.name, level, code.co_filename, frame.f_lineno, msg, args,
            exc_info or None, code.co_name, extra, None,
        )  # fmt: skip


def get_logger(name: str) -> TwinLogger:
    """The logger of the module ``name`` (``__name__``), twinned with GloMPO's of its part."""
    part = name.split(".")[1] if "." in name else ""
    return TwinLogger(name, GLOMPO_LOGGERS.get(part, "glompo"))
