"""Tests of ``glompo_scope_chkpt.hunters``: when an optimizer is stopped for the run's sake."""
