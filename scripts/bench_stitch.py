"""Benchmark movie stitching against the floor of what it could cost.

* Stream-copy stitching of N compatible segments (probe + concat demuxer + verify + atomic
  rename) against copying the same bytes into one file (with and without fsync; the stitched
  movie is fsynced too), and against the bare ffmpeg concat-demuxer command it wraps. The
  target is within 3x of the byte copy.
* Re-encoding (the concat filter with per-segment scale/pad/fps normalisation, then verify)
  against a bare ``ffmpeg -filter_complex concat`` command with the same encoder settings.

Timings are medians of ``--repeats`` runs, the two sides interleaved in one process (runs of the
same thing vary by up to +-30 % on shared machines: compare the ratios). The last line printed
is one JSON object with every figure.

Usage::

    python scripts/bench_stitch.py            # 20 segments of 10 s, 1200x800 at 10 fps
    python scripts/bench_stitch.py --quick    # 6 segments of 3 s, 320x240
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from glompo_scope_chkpt._ffmpeg import run_ffmpeg
from glompo_scope_chkpt.movie.stitch.run import stitch
from glompo_scope_chkpt.movie.video.probe import probe


def make_segments(folder: Path, count: int, seconds: float, size: str, fps: int) -> list[Path]:
    """Encode ``count`` distinct test-pattern segments as the recorder writes them (MPEG-TS)."""
    paths = []
    for number in range(count):
        path = folder / f"segment {number:03d}.ts"
        pattern = f"testsrc2=size={size}:rate={fps}:duration={seconds}"
        source = ["-f", "lavfi", "-i", pattern, "-vf", f"hue=h={number * 17}"]
        encode = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        run_ffmpeg(["-v", "error", *source, *encode, str(path)])
        paths.append(path)
    return paths


def byte_copy(inputs: list[Path], output: Path, sync: bool) -> None:
    """Concatenate the files' bytes into ``output`` (the floor for a stream copy)."""
    with open(output, "wb") as target:
        for path in inputs:
            with open(path, "rb") as source:
                shutil.copyfileobj(source, target, 1 << 20)
        if sync:
            target.flush()
            os.fsync(target.fileno())


def bare_copy(inputs: list[Path], listing: Path, output: Path) -> None:
    """Stream-copy with ffmpeg alone: concat demuxer into mp4, no probing, no verification."""
    lines = [f"file '{p.resolve()}'" for p in inputs]  # the bench's names need no escaping
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    copy = ["-map", "0:v", "-c", "copy", "-movflags", "+faststart", str(output)]
    run_ffmpeg(["-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing), *copy])


def bare_reencode(inputs: list[Path], output: Path, preset: str, crf: int) -> None:
    """Re-encode with ffmpeg alone: the concat filter, no normalisation, no verification."""
    sources = [arg for path in inputs for arg in ("-i", str(path))]
    graph = "".join(f"[{i}:v]" for i in range(len(inputs))) + f"concat=n={len(inputs)}:v=1:a=0"
    encode = ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p"]
    run_ffmpeg(["-v", "error", "-y", *sources, "-filter_complex", graph, *encode, str(output)])


def timed(action: Callable[[], object], cleanup: Path) -> float:
    """Run ``action`` once and return its wall time; remove ``cleanup`` afterwards."""
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    cleanup.unlink(missing_ok=True)
    return elapsed


def interleaved(
    sides: dict[str, tuple[Callable[[], object], Path]], repeats: int, warmup: bool
) -> dict[str, float]:
    """Median wall time of each side, runs interleaved; one untimed warm-up run each."""
    times: dict[str, list[float]] = {name: [] for name in sides}
    if warmup:
        for action, cleanup in sides.values():
            timed(action, cleanup)
    for _ in range(repeats):
        for name, (action, cleanup) in sides.items():
            times[name].append(timed(action, cleanup))
    return {name: statistics.median(values) for name, values in times.items()}


def bench_copy(inputs: list[Path], folder: Path, repeats: int) -> dict[str, float]:
    """Time stream-copy stitching against byte copies of the same bytes."""
    out, bare = folder / "stitched.mp4", folder / "bare.mp4"
    raw, synced = folder / "bytes.bin", folder / "bytes-synced.bin"
    listing = folder / "list.txt"
    return interleaved(
        {
            "stitch_copy_s": (lambda: stitch(inputs, out, mode="copy"), out),
            "ffmpeg_copy_s": (lambda: bare_copy(inputs, listing, bare), bare),
            "byte_copy_s": (lambda: byte_copy(inputs, raw, sync=False), raw),
            "byte_copy_fsync_s": (lambda: byte_copy(inputs, synced, sync=True), synced),
        },
        repeats,
        warmup=True,
    )


def bench_reencode(
    inputs: list[Path], folder: Path, repeats: int, preset: str, crf: int
) -> dict[str, float]:
    """Time re-encode stitching against a bare ffmpeg concat-filter command."""
    out, bare = folder / "reencoded.mp4", folder / "bare.mp4"
    return interleaved(
        {
            "stitch_reencode_s": (
                lambda: stitch(inputs, out, mode="reencode", preset=preset, crf=crf),
                out,
            ),
            "ffmpeg_reencode_s": (lambda: bare_reencode(inputs, bare, preset, crf), bare),
        },
        repeats,
        warmup=False,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--segments", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="1200x800")
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5, help="runs of each copy-mode side")
    parser.add_argument("--reencode-repeats", type=int, default=1, help="runs of each re-encode")
    parser.add_argument("--preset", default="ultrafast", help="x264 preset for re-encoding")
    parser.add_argument("--quick", action="store_true", help="6 segments of 3 s at 320x240")
    parser.add_argument("--no-reencode", action="store_true", help="skip the re-encode part")
    parser.add_argument("--workdir", type=Path, default=None, help="folder for the temp files")
    args = parser.parse_args(argv)
    if args.quick:
        args.segments, args.seconds, args.size = 6, 3.0, "320x240"
    return args


def report(figures: dict[str, object]) -> None:
    """Print the table, then the JSON line."""
    print(f"{figures['segments']} segments x {figures['seconds']:g} s, {figures['size']} at "
          f"{figures['fps']} fps, {figures['total_mb']:.1f} MB")  # fmt: skip
    rows = [
        ("stream-copy stitch (probe+concat+verify)", "stitch_copy_s"),
        ("bare ffmpeg concat demuxer copy", "ffmpeg_copy_s"),
        ("byte copy of the same bytes", "byte_copy_s"),
        ("byte copy + fsync", "byte_copy_fsync_s"),
        ("re-encode stitch (normalise+verify)", "stitch_reencode_s"),
        ("bare ffmpeg concat filter", "ffmpeg_reencode_s"),
    ]
    for label, key in rows:
        if key in figures:
            print(f"  {label:<42} {figures[key]:8.3f} s")
    ratios = ("copy_vs_bytes", "copy_vs_bytes_fsync", "copy_vs_ffmpeg", "reencode_vs_ffmpeg")
    for key in ratios:
        if key in figures:
            print(f"  ratio {key:<36} {figures[key]:8.2f} x")
    print(json.dumps(figures))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_stitch-", dir=args.workdir) as name:
        folder = Path(name)
        start = time.perf_counter()
        inputs = make_segments(folder, args.segments, args.seconds, args.size, args.fps)
        print(f"made {len(inputs)} segments in {time.perf_counter() - start:.1f} s", flush=True)
        total = sum(p.stat().st_size for p in inputs)
        frames = sum(probe(p).frames for p in inputs)
        figures: dict[str, object] = {
            "segments": args.segments, "seconds": args.seconds, "size": args.size,
            "fps": args.fps, "frames": frames, "total_mb": total / 1e6, "repeats": args.repeats,
        }  # fmt: skip
        figures.update(bench_copy(inputs, folder, args.repeats))
        figures["copy_vs_bytes"] = figures["stitch_copy_s"] / figures["byte_copy_s"]
        figures["copy_vs_bytes_fsync"] = figures["stitch_copy_s"] / figures["byte_copy_fsync_s"]
        figures["copy_vs_ffmpeg"] = figures["stitch_copy_s"] / figures["ffmpeg_copy_s"]
        if not args.no_reencode:
            figures.update(
                bench_reencode(inputs, folder, args.reencode_repeats, args.preset, crf=20)
            )
            ratio = figures["stitch_reencode_s"] / figures["ffmpeg_reencode_s"]
            figures["reencode_vs_ffmpeg"] = ratio
            figures["reencode_repeats"] = args.reencode_repeats
    report(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
