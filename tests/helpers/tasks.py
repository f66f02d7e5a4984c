"""Objective functions and tasks the tests optimize (importable, so processes can use them)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np


def rastrigin(x: np.ndarray) -> float:
    """The Rastrigin function: many local minima, global minimum 0 at the origin."""
    x = np.asarray(x, dtype=float)
    return float(10 * len(x) + np.sum(x**2 - 10 * np.cos(2 * np.pi * x)))


def sphere(x: np.ndarray) -> float:
    """Sum of squares."""
    return float(np.sum(np.asarray(x) ** 2))


def slow_sphere(x: np.ndarray) -> float:
    """Sum of squares after 2 ms."""
    time.sleep(0.002)
    return sphere(x)


class SignalsAfter:
    """``slow_sphere`` that sends ``signum`` to its own process at call ``calls``.

    The signal arrives while the manager's loop runs (its handlers are installed), however slow
    the machine, unlike a timer started before the run.
    """

    def __init__(self, calls: int, signum: int) -> None:
        self.calls, self.signum, self.done = calls, signum, 0

    def __call__(self, x: np.ndarray) -> float:
        self.done += 1
        if self.done == self.calls:
            os.kill(os.getpid(), self.signum)
        return slow_sphere(x)


class MarksCall:
    """``slow_sphere`` that creates the file ``marker`` at call ``calls`` (a test waits for it)."""

    def __init__(self, calls: int, marker: Path) -> None:
        self.calls, self.marker, self.done = calls, Path(marker), 0

    def __call__(self, x: np.ndarray) -> float:
        self.done += 1
        if self.done == self.calls:
            self.marker.write_text("")
        return slow_sphere(x)


class UnpicklableTask:
    """A task holding a lock, so it cannot be pickled; optionally saved with checkpoint_save."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset
        self.lock = threading.Lock()
        self.saved_to: list[Path] = []

    def __call__(self, x: np.ndarray) -> float:
        return sphere(x) + self.offset

    def __reduce__(self):
        raise TypeError("UnpicklableTask holds a lock")


class SavableTask(UnpicklableTask):
    """An unpicklable task that saves its offset through checkpoint_save."""

    def checkpoint_save(self, folder: Path) -> None:
        (Path(folder) / "offset.txt").write_text(repr(self.offset))
        self.saved_to.append(Path(folder))


class PicklableSavableTask:
    """A picklable task that also offers checkpoint_save (to test force_task_save)."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset
        self.save_calls = 0

    def __call__(self, x: np.ndarray) -> float:
        return sphere(x) + self.offset

    def checkpoint_save(self, folder: Path) -> None:
        self.save_calls += 1
        (Path(folder) / "offset.txt").write_text(repr(self.offset))


def load_savable(folder: Path) -> SavableTask:
    """The task_loader matching SavableTask.checkpoint_save."""
    return SavableTask(float((Path(folder) / "offset.txt").read_text()))


class FailsAt:
    """Raises for every evaluation whose first coordinate is above ``threshold``."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def __call__(self, x: np.ndarray) -> float:
        if x[0] > self.threshold:
            raise RuntimeError("model diverged")
        return sphere(x)


class ConcurrencyProbe:
    """A 2 ms sphere that records the most calls it ever saw running at once (threads only)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def __call__(self, x: np.ndarray) -> float:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            return slow_sphere(x)
        finally:
            with self.lock:
                self.running -= 1


class PidRecordingSphere:
    """Sum of squares that appends the evaluating process's pid to a file (to see where it ran)."""

    def __init__(self, record: Path) -> None:
        self.record = Path(record)

    def __call__(self, x: np.ndarray) -> float:
        with open(self.record, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        return sphere(x)


class SleepySphere:
    """Sum of squares after ``seconds`` of sleep (evaluations that outlive the run's end)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, x: np.ndarray) -> float:
        time.sleep(self.seconds)
        return sphere(x)


class CountsCalls:
    """Rastrigin that appends each point it is called on to ``record`` (hex of its bytes).

    Each call first sleeps ``sleep`` seconds. With ``kill_at``, call ``kill_at - 1`` and call
    ``kill_at`` sleep 1.2 s more (the manager's loop writes its log meanwhile, or right after),
    then call ``kill_at`` SIGKILLs its own process. ``deterministic=False`` declares the task
    non-deterministic.
    """

    def __init__(
        self,
        record: Path,
        kill_at: int | None = None,
        sleep: float = 0.0,
        deterministic: bool = True,
    ) -> None:
        self.record, self.kill_at, self.sleep = Path(record), kill_at, sleep
        self.deterministic = deterministic
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, x: np.ndarray) -> float:
        with self.lock:
            self.calls += 1
            number = self.calls
            with open(self.record, "a") as handle:
                handle.write(np.asarray(x, dtype="<f8").tobytes().hex() + "\n")
        time.sleep(self.sleep)
        if self.kill_at is not None and number >= self.kill_at - 1:
            time.sleep(1.2)
            if number >= self.kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return rastrigin(x)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, lock=threading.Lock())


def called_points(record: Path) -> list[str]:
    """The points a :class:`CountsCalls` task was called on, in order (hex of their bytes)."""
    return record.read_text().split() if record.exists() else []
