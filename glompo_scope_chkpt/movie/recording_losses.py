"""Counting the losses of a session's recording, deciding when to stop, and saying so once.

A loss is the death of the scope's renderer process or of its ffmpeg (a signal, a crash): the
movie timeline keeps what the cut segment holds and records on with a new renderer. Each loss
gives one warning (and one log record); after :data:`MAX_LOSSES` in a session, recording stops
for the rest of it, so a renderer that cannot live never stalls the optimization again and again.
"""

from __future__ import annotations

import warnings

from .._logging import get_logger

__all__ = ["MAX_LOSSES", "RecordingLosses"]

logger = get_logger(__name__)

MAX_LOSSES = 3
"""Deaths of the renderer or its ffmpeg in one session after which the session stops recording."""


class RecordingLosses:
    """The losses of one session's recording.

    Parameters
    ----------
    recording
        Whether the session records a movie (else a loss only costs the live window).
    """

    def __init__(self, recording: bool) -> None:
        self.recording = recording
        self.count = 0
        """Losses so far in this session."""
        self.stopped = False
        """Whether recording stopped for the rest of the session."""

    def lost(self, reason: str, kept: str = "") -> None:
        """Count one loss and warn about it once.

        Parameters
        ----------
        reason
            What died, as :attr:`~glompo_scope_chkpt.scope.live.LiveScope.lost` says it.
        kept
            What became of the segment being recorded (a sentence), if there was one.
        """
        self.count += 1
        self.stopped = self.stopped or self.count >= MAX_LOSSES
        if not self.recording:
            goes_on = "A new renderer takes over."
        elif self.stopped:
            goes_on = (
                f"This is loss {self.count} of this session: the scope stops recording, the "
                "optimization goes on, and the segments recorded so far make the movie."
            )
        else:
            goes_on = "Recording goes on in a new segment; a new renderer redraws the picture."
        broke = f"The scope's recording broke: {reason.rstrip('.')}."
        _warn(" ".join(filter(None, [broke, kept, goes_on])))

    def give_up(self, error: Exception) -> None:
        """Stop recording for this session because recording could not go on after a loss."""
        self.stopped = True
        _warn(
            f"The scope could not record on after losing its renderer or encoder ({error}); "
            "it stops recording for this session. The optimization goes on."
        )


def _warn(message: str) -> None:
    warnings.warn(message, RuntimeWarning, stacklevel=5)
    logger.warning("%s", message)
