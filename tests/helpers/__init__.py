"""Code shared by the tests: tasks to optimize, test movies, process lookups and a kill driver."""
