"""The Switchboard test kit: pytest fixtures and contract tests for plugin authors.

Installed as a pytest plugin (entry point ``pytest11``), so a plugin package's tests
get the fixtures with no conftest. See :mod:`host.testing.pytest_plugin`.
"""
