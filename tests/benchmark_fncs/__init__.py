"""Tests of ``glompo_scope_chkpt.benchmark_fncs``: known minima, bounds, pickling, checks."""
