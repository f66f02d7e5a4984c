"""Tests of ``glompo_scope_chkpt.convergence``: the conditions that end a run."""
