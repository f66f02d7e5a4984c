"""How a stitch re-encodes: the encoder each output format takes, its options, and the CPUs.

The one concern here is the encoder's command-line options: the codec an output suffix needs
(``.webm`` VP9, ``.gif`` GIF; the table is :data:`~glompo_scope_chkpt._run_files.STITCH_FORMATS`),
its quality and speed settings, and the threads it may use: every CPU the job has, so a long
movie re-encodes as fast as the allocation allows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..._run_files import STITCH_FORMATS

__all__ = ["DEFAULT_CODEC", "Encoding", "job_cpus", "output_codec"]

DEFAULT_CODEC = "libx264"
"""The encoder of a re-encoded movie whose format does not need another."""

CRF_CODECS = frozenset({"libx264", "libx265", "libvpx-vp9", "libaom-av1", "libsvtav1"})
"""Encoders that take a constant quality (``crf``)."""
PRESET_CODECS = frozenset({"libx264", "libx265"})
"""Encoders that take an x264-style ``preset``."""


def job_cpus() -> int:
    """Return the CPUs this job may use: its CPU affinity, capped by SLURM's CPUs per task.

    SLURM binds a job's tasks to their CPUs only when configured to; ``SLURM_CPUS_PER_TASK``
    says how many the job was given either way.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    given = os.environ.get("SLURM_CPUS_PER_TASK", "")
    if given.isdigit() and int(given) > 0:
        cpus = min(cpus, int(given))
    return max(1, cpus)


def output_codec(output: Path, codec: str | None) -> str:
    """Return the encoder for ``output``: ``codec`` if given, else its format's own.

    ``.webm`` takes ``libvpx-vp9``, ``.gif`` ``gif``, the others :data:`DEFAULT_CODEC`.
    """
    if codec:
        return codec
    _muxer, needs = STITCH_FORMATS.get(output.suffix.lower(), ("", None))
    return needs or DEFAULT_CODEC


@dataclass(frozen=True)
class Encoding:
    """The encoder settings of a re-encode.

    Attributes
    ----------
    codec, crf, preset
        The encoder, its quality (where it takes one) and its x264/x265 preset.
    threads
        Encoder threads; None: every CPU of the job (:func:`job_cpus`).
    """

    codec: str = DEFAULT_CODEC
    crf: int = 20
    preset: str | None = "veryfast"
    threads: int | None = None

    def options(self) -> dict[str, object]:
        """Return the ffmpeg output options (``ffmpeg-python`` names) of this encoder."""
        options: dict[str, object] = {"vcodec": self.codec, "threads": self.threads or job_cpus()}
        if self.codec in CRF_CODECS:
            options["crf"] = self.crf
        if self.preset and self.codec in PRESET_CODECS:
            options["preset"] = self.preset
        if self.codec == "libvpx-vp9":  # constant quality, rows in parallel, a fair speed
            options.update({"b:v": 0, "row-mt": 1, "deadline": "good", "cpu-used": 4})
        return options
