"""The test suite, a package that mirrors ``glompo_scope_chkpt`` folder by folder.

Every folder is a package, so pytest (its default ``prepend`` import mode) puts the repository
root on ``sys.path`` and imports test modules by their full name (``tests.core.test_manager``):
test files in two folders may share a basename, and the shared code is imported from any folder
as ``tests.helpers``. Processes that tests start find it too: they are given the repository root
(``tests.helpers.paths.REPO_ROOT``).
"""
