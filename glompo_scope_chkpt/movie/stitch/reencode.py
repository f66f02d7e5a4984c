"""The ffmpeg command lines of a stitch: stream copy, re-encode, the GIF's palette pass, chapters.

The one concern here is building arguments. Every re-encoded part is brought to one size (scaled
to fit, padded, square pixels) and one frame rate; a movie is then converted into our tagged
BT.709 colours (:mod:`..video.colour`), a GIF into RGB and through the palette made from the
whole movie by a first pass (``palettegen``, then ``paletteuse``: 256 colours chosen for this
picture, not a fixed web palette). Chapters are added as an FFmpeg metadata input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..video.colour import PIX_FMT, SCALE_TO_OURS, tagging_filters
from ..video.video_info import VideoInfo
from .encoding import Encoding

__all__ = ["copy_args", "gif_args", "palette_args", "reencode_args", "with_chapters"]

Plan = tuple[tuple[int, int], float]
"""The output's ``(width, height)`` and frame rate."""

_PROGRESS = ["-y", "-progress", "pipe:1", "-nostats"]
_READ_RGB = {"in_color_matrix": "auto", "in_range": "auto"}
"""A ``scale`` reading decoded video by its own colour tags, into RGB for a GIF."""


def copy_args(listing: Path, tmp: Path, fmt: str) -> list[str]:
    """Stream-copy the parts the concat ``listing`` names into ``tmp`` (muxer ``fmt``)."""
    import ffmpeg

    options = {"c": "copy", "f": fmt}
    if fmt in ("mp4", "mov"):
        options["movflags"] = "+faststart"
    node = ffmpeg.input(str(listing), f="concat", safe=0).video.output(str(tmp), **options)
    return ["-loglevel", "error", "-y", *node.get_args()]


def _joined(parts: Sequence[VideoInfo], plan: Plan, to_rgb: bool) -> Any:
    """Each part at the output's size and frame rate, concatenated: one ``ffmpeg-python`` stream."""
    import ffmpeg

    (width, height), fps = plan
    rate = str(Fraction(fps).limit_denominator(100_000))
    scale = _READ_RGB if to_rgb else SCALE_TO_OURS
    streams = []
    for source in _sources(parts):
        stream = source.filter("setpts", "PTS-STARTPTS").filter(
            "scale",
            width,
            height,
            force_original_aspect_ratio="decrease",
            force_divisible_by=2,
            flags="lanczos",  # a part drawn at a lower dpi is enlarged without visible blur
            **scale,
        )
        if to_rgb:
            stream = stream.filter("format", pix_fmts="rgb24")
        stream = stream.filter("pad", width, height, "(ow-iw)/2", "(oh-ih)/2").filter("setsar", 1)
        stream = stream.filter("fps", fps=rate)
        if not to_rgb:
            for name, step in tagging_filters():
                stream = stream.filter(name, **step)
        streams.append(stream)
    if len(streams) == 1:
        return streams[0]
    # concat times a part by its last frame's timestamp, so a part of one frame lasts nothing
    # and its frame shares a timestamp with the next part's first, which the encoder then drops:
    # every part is at the output's rate already, so the frames are numbered again
    return ffmpeg.concat(*streams, v=1, a=0).filter("setpts", f"N/({rate})/TB")


def _sources(parts: Sequence[VideoInfo]) -> list[Any]:
    """The video stream of each part, a file given more than once read once per use.

    ffmpeg-python merges inputs with the same arguments into one, which cannot feed two filter
    chains; each further use of a file gets a demuxer queue size of its own (8 is the default
    of ``-thread_queue_size``) to keep them apart. A ``split`` would instead hold the file's
    decoded frames until its later use.
    """
    import ffmpeg

    uses: Counter[str] = Counter()
    sources = []
    for info in parts:
        path = str(info.path.resolve())
        options = {"thread_queue_size": 8 + uses[path]} if uses[path] else {}
        uses[path] += 1
        sources.append(ffmpeg.input(path, **options).video)
    return sources


def reencode_args(
    parts: Sequence[VideoInfo], tmp: Path, fmt: str, plan: Plan, encoding: Encoding
) -> list[str]:
    """Re-encode the parts into ``tmp`` (muxer ``fmt``) with ``encoding``, reporting progress."""
    options: dict[str, object] = {**encoding.options(), "pix_fmt": PIX_FMT, "f": fmt}
    if fmt in ("mp4", "mov"):
        options["movflags"] = "+faststart"
    node = _joined(parts, plan, to_rgb=False).output(str(tmp), **options)
    return [*_PROGRESS, *node.get_args()]


def palette_args(parts: Sequence[VideoInfo], palette: Path, plan: Plan) -> list[str]:
    """First GIF pass: the 256 colours that serve the whole movie best, into ``palette`` (PNG)."""
    node = (
        _joined(parts, plan, to_rgb=True)
        .filter("palettegen", stats_mode="full")
        .output(str(palette), f="image2", update=1, **{"frames:v": 1})
    )
    return [*_PROGRESS, *node.get_args()]


def gif_args(parts: Sequence[VideoInfo], tmp: Path, plan: Plan, palette: Path) -> list[str]:
    """Second GIF pass: every frame mapped onto ``palette``, written to ``tmp``."""
    import ffmpeg

    colours = ffmpeg.input(str(palette)).video
    mapped = ffmpeg.filter([_joined(parts, plan, to_rgb=True), colours], "paletteuse")
    node = mapped.output(str(tmp), f="gif", loop=0)
    return [*_PROGRESS, *node.get_args()]


def with_chapters(args: list[str], metadata: Path | None) -> list[str]:
    """Add the chapters of an FFmpeg ``metadata`` file to ``args`` (None: write no chapters).

    The metadata file becomes the last input and the output takes its chapters only, so chapters
    an input carries are never copied unshifted.
    """
    last = max(number for number, arg in enumerate(args) if arg == "-i")
    inputs = args.count("-i")
    if metadata is None:
        added = ["-map_chapters", "-1"]
    else:
        added = ["-f", "ffmetadata", "-i", str(metadata), "-map_chapters", str(inputs)]
    return [*args[: last + 2], *added, *args[last + 2 :]]
