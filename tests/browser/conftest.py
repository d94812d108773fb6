"""Browser tests: their `browser` and `page` fixtures are in tests/conftest.py, shared with
the browser tests of other folders."""
