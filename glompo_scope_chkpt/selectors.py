"""The optimizer selectors under their first name; GloMPO's is :mod:`.opt_selectors`."""

from __future__ import annotations

from . import opt_selectors as _opt_selectors
from .opt_selectors import *  # noqa: F403  (every public name, defined once there)

__all__ = _opt_selectors.__all__
