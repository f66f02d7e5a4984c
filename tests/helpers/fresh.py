"""Running a test script in a fresh interpreter, and reading a log's rows bit for bit.

A requeued job resumes in a new interpreter with a new hash salt: the exact-resume tests run their
script (the test module itself, whose ``main`` reads ``sys.argv``) that way.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import h5py

from tests.helpers.paths import REPO_ROOT

__all__ = ["first_difference", "in_fresh_process", "killed_in_fresh_process", "log_row_bytes"]


def _run(script: str, args: list[str], hash_seed: int) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED=str(hash_seed), MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, script, *args], env=env, capture_output=True, text=True, timeout=120
    )


def in_fresh_process(script: str, args: list[str], hash_seed: int) -> dict[str, Any]:
    """Run ``script`` with ``args`` in a new interpreter hashing with ``hash_seed``.

    Returns what the script printed last, as JSON.
    """
    done = _run(script, args, hash_seed)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def killed_in_fresh_process(script: str, args: list[str], hash_seed: int) -> None:
    """Run ``script`` with ``args`` like :func:`in_fresh_process`; it must die of SIGKILL."""
    done = _run(script, args, hash_seed)
    assert done.returncode == -signal.SIGKILL, done.stderr[-3000:]


def log_row_bytes(path: Path) -> list[tuple[int, str, bytes, bytes]]:
    """Every ``iter_history`` row as ``(call_id, group, x bytes, fx bytes)``, by ``call_id``."""
    rows = []
    with h5py.File(path, "r") as f:
        for name, group in f.items():
            if not name.startswith("optimizer_"):
                continue
            for row in group["iter_history"][()]:
                x, fx = row["x"].tobytes(), row["fx"].tobytes()
                rows.append((int(row["call_id"]), name, x, fx))
    return sorted(rows)


def first_difference(rows: list[tuple], reference: list[tuple]) -> int | None:
    """The ``call_id`` from which ``rows`` no longer repeat ``reference``, or ``None``."""
    for row, expected in zip(rows, reference, strict=False):
        if row != expected:
            return expected[0]
    return None if len(rows) == len(reference) else min(len(rows), len(reference)) + 1
