"""Tests of ``glompo_scope_chkpt.optimizers``: the ask/tell optimizers the manager drives."""
