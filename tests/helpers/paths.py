"""Where the repository is, for processes the tests start that must import ``tests.helpers``."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The repository: the folder holding ``tests``, ``scripts`` and, in a checkout, the package."""
