"""The test suite; a package so that `tests.fakebotapi` and `tests.botprocess` import by name
(from the tests and from bench/) without editing sys.path."""
