"""``python -m glompo_scope_chkpt.cli`` is ``glompo-scope-chkpt`` (used by the SLURM job script)."""

from __future__ import annotations

import sys

from .main import main

sys.exit(main())
