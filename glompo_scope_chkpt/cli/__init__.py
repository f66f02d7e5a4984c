"""The command line: ``glompo-scope-chkpt`` (demo, run, inspect) and ``stitch-movies``."""
