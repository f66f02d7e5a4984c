"""Tests of ``glompo_scope_chkpt.opt_selectors``: which optimizer starts next, and its specs."""
