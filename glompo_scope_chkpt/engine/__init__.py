"""One session of a run: the loop and everything it drives.

The loop (``loop``) asks the optimizers, submits evaluations to an executor (``executors``),
judges their outcomes (``evaluations``), starts (``spawning``) and stops (``hunting``)
optimizers, and takes checkpoints; on resume, ``replay`` answers the evaluations the log already
holds. ``session`` runs one session end to end, opening and closing the log and the movie it
sees only through the contracts in ``outputs``; ``signals`` turns scheduler signals and Ctrl-C
into a checkpoint.
"""
