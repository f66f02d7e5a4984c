"""Finding the ffmpeg binary and running it as a child that is always reaped.

The binary is looked up in this order: the ``GLOMPO_FFMPEG`` environment variable, ``ffmpeg`` on
``PATH``, then the static build bundled with :mod:`imageio_ffmpeg` (so ``pip install`` suffices).
An ``ffmpeg`` on ``PATH`` that does not run (``ffmpeg -version`` fails), or that
:func:`pass_over` was told lacks what a run needs (e.g. its encoder), is not used: the bundled
one is, with one warning naming both. ``GLOMPO_FFMPEG`` is always used as given.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import warnings
from collections.abc import Iterator, Sequence

from .errors import FFmpegError, FFmpegNotFoundError

__all__ = [
    "bundled_instead_of",
    "ffmpeg_exe",
    "ffmpeg_process",
    "pass_over",
    "run_ffmpeg",
    "stderr_of",
]

_INSTALL_HINT = (
    "Install one with 'pip install imageio-ffmpeg' (bundles a static ffmpeg), put ffmpeg on PATH, "
    "or set GLOMPO_FFMPEG to the binary's path."
)


_PASSED_OVER: dict[str, str] = {}
"""``ffmpeg`` binaries on ``PATH`` this process does not use, and why (see :func:`pass_over`)."""
_WARNED: set[str] = set()


def _bundled() -> str:
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise FFmpegNotFoundError("No ffmpeg binary found. " + _INSTALL_HINT) from exc
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise FFmpegNotFoundError(f"No ffmpeg binary found ({exc}). " + _INSTALL_HINT) from exc


@functools.cache
def _fault(exe: str) -> str | None:
    """Why ``exe`` cannot be used (``exe -version`` does not start or fails), or None."""
    try:
        proc = subprocess.run(
            [exe, "-hide_banner", "-version"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"does not run ({exc})"
    if proc.returncode != 0:
        last = _stderr_tail(proc.stderr, 1)
        return f"does not run ('ffmpeg -version' exits with code {proc.returncode}: {last})"
    return None


def _warn_once(found: str, why: str, bundled: str) -> None:
    if found not in _WARNED:
        _WARNED.add(found)
        warnings.warn(
            f"The ffmpeg on PATH ({found}) {why}; using the bundled ffmpeg ({bundled}) instead. "
            "Fix or remove that ffmpeg, or set GLOMPO_FFMPEG to the binary to use.",
            RuntimeWarning,
            stacklevel=3,
        )


@functools.cache
def _lookup(env_value: str | None, path_env: str | None) -> str:
    if env_value:
        if os.path.isfile(env_value) and os.access(env_value, os.X_OK):
            return env_value
        raise FFmpegNotFoundError(
            f"GLOMPO_FFMPEG points to '{env_value}', which is not an executable file. "
            + _INSTALL_HINT
        )
    found = shutil.which("ffmpeg", path=path_env)
    if not found:
        return _bundled()
    why = _PASSED_OVER.get(found) or _fault(found)
    if why is None:
        return found
    try:
        bundled = _bundled()
    except FFmpegNotFoundError as exc:
        raise FFmpegNotFoundError(f"The ffmpeg on PATH ({found}) {why}. {exc}") from exc
    _warn_once(found, why, bundled)
    return bundled


def bundled_instead_of(exe: str) -> str | None:
    """Return the bundled ffmpeg if it may replace ``exe``, found on ``PATH``; else None.

    None when ``GLOMPO_FFMPEG`` names the binary (always used as given), when no ffmpeg is
    bundled, or when ``exe`` is the bundled one.
    """
    if os.environ.get("GLOMPO_FFMPEG"):
        return None
    try:
        bundled = _bundled()
    except FFmpegNotFoundError:
        return None
    return None if bundled == exe else bundled


def pass_over(exe: str, why: str) -> None:
    """Stop using ``exe``, the ``ffmpeg`` on ``PATH``, in this process; warn once.

    :func:`ffmpeg_exe` returns the bundled ffmpeg from then on. Call it only when
    :func:`bundled_instead_of` gave a replacement.

    Parameters
    ----------
    exe
        The ``ffmpeg`` found on ``PATH``.
    why
        What it lacks, completing "The ffmpeg on PATH (...) ...".
    """
    _PASSED_OVER[exe] = why
    _lookup.cache_clear()
    _warn_once(exe, why, _bundled())


def ffmpeg_exe() -> str:
    """Return the path of the ffmpeg binary to use.

    Returns
    -------
    str
        Absolute path of an executable ffmpeg.

    Raises
    ------
    FFmpegNotFoundError
        If none is configured, on ``PATH`` or bundled; the message says how to get one.
    """
    return _lookup(os.environ.get("GLOMPO_FFMPEG"), os.environ.get("PATH"))


def _stderr_tail(text: bytes | str | None, lines: int = 15) -> str:
    if not text:
        return "(no output)"
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return "\n".join(text.strip().splitlines()[-lines:])


_STDERR_HEADING = "stderr (last lines):\n"


def _raise_failed(args: Sequence[str], returncode: int, stderr: bytes | str | None) -> None:
    raise FFmpegError(
        f"ffmpeg exited with code {returncode}.\ncommand: {' '.join(map(str, args))}\n"
        f"{_STDERR_HEADING}{_stderr_tail(stderr)}"
    )


def stderr_of(error: Exception) -> str:
    """Return ffmpeg's own words (its stderr tail) from an :class:`FFmpegError`'s message.

    The whole message when it holds none (an error that is not ffmpeg's exit).
    """
    text = str(error)
    return text.split(_STDERR_HEADING, 1)[-1].strip() or text


def run_ffmpeg(
    args: Sequence[str],
    timeout: float | None = None,
    exe: str | None = None,
) -> subprocess.CompletedProcess:
    """Run ffmpeg to completion with ``args`` (without the binary) and return the result.

    Parameters
    ----------
    args
        The arguments after the binary.
    timeout
        Seconds to wait for ffmpeg (no limit by default).
    exe
        The ffmpeg binary; :func:`ffmpeg_exe` by default.

    Raises
    ------
    FFmpegError
        If ffmpeg exits non-zero; the message holds the command and the tail of stderr.
    """
    cmd = [exe or ffmpeg_exe(), "-hide_banner", "-nostdin", *map(str, args)]
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        _raise_failed(cmd, proc.returncode, proc.stderr)
    return proc


@contextlib.contextmanager
def ffmpeg_process(
    args: Sequence[str], stop_timeout: float = 10.0, exe: str | None = None, **popen_kwargs
) -> Iterator[subprocess.Popen]:
    """Start ffmpeg with ``args`` and always reap it when the block ends.

    On a normal exit of the block, stdin is closed (end of input) and ffmpeg is given
    ``stop_timeout`` seconds to finish its file; if the block raised, or ffmpeg does not finish in
    time, it is terminated and then killed. The child runs in its own session, so a terminal's
    Ctrl-C reaches the manager, which then finishes the segment cleanly.

    ``exe`` is the ffmpeg binary (:func:`ffmpeg_exe` by default).

    Raises
    ------
    FFmpegError
        If ffmpeg exits non-zero after a normal end of the block.
    """
    cmd = [exe or ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *map(str, args)]
    popen_kwargs.setdefault("stderr", subprocess.PIPE)
    proc = subprocess.Popen(cmd, start_new_session=True, **popen_kwargs)
    ok = False
    try:
        yield proc
        ok = True
    finally:
        stdin, proc.stdin = proc.stdin, None  # detached: communicate() must not flush it
        if stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                stdin.close()
        stderr = b""
        try:
            _, stderr = proc.communicate(timeout=stop_timeout if ok else 1.0)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            _, stderr = proc.communicate()
            ok = False
        if ok and proc.returncode != 0:
            _raise_failed(cmd, proc.returncode, stderr)
