"""Finding the ffmpeg binary and running it as a child that is always reaped.

The binary is looked up in this order: the ``GLOMPO_FFMPEG`` environment variable, ``ffmpeg`` on
``PATH``, then the static build bundled with :mod:`imageio_ffmpeg` (so ``pip install`` suffices).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator, Sequence

from .errors import FFmpegError, FFmpegNotFoundError

__all__ = ["ffmpeg_exe", "run_ffmpeg", "ffmpeg_process"]

_INSTALL_HINT = (
    "Install one with 'pip install imageio-ffmpeg' (bundles a static ffmpeg), put ffmpeg on PATH, "
    "or set GLOMPO_FFMPEG to the binary's path."
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
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise FFmpegNotFoundError("No ffmpeg binary found. " + _INSTALL_HINT) from exc
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise FFmpegNotFoundError(f"No ffmpeg binary found ({exc}). " + _INSTALL_HINT) from exc


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


def _raise_failed(args: Sequence[str], returncode: int, stderr: bytes | str | None) -> None:
    raise FFmpegError(
        f"ffmpeg exited with code {returncode}.\ncommand: {' '.join(map(str, args))}\n"
        f"stderr (last lines):\n{_stderr_tail(stderr)}"
    )


def run_ffmpeg(args: Sequence[str], timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ffmpeg to completion with ``args`` (without the binary) and return the result.

    Raises
    ------
    FFmpegError
        If ffmpeg exits non-zero; the message holds the command and the tail of stderr.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *map(str, args)]
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        _raise_failed(cmd, proc.returncode, proc.stderr)
    return proc


@contextlib.contextmanager
def ffmpeg_process(
    args: Sequence[str], stop_timeout: float = 10.0, **popen_kwargs
) -> Iterator[subprocess.Popen]:
    """Start ffmpeg with ``args`` and always reap it when the block ends.

    On a normal exit of the block, stdin is closed (end of input) and ffmpeg is given
    ``stop_timeout`` seconds to finish its file; if the block raised, or ffmpeg does not finish in
    time, it is terminated and then killed. The child runs in its own session, so a terminal's
    Ctrl-C reaches the manager, which then finishes the segment cleanly.

    Raises
    ------
    FFmpegError
        If ffmpeg exits non-zero after a normal end of the block.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *map(str, args)]
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
