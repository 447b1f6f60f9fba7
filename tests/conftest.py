"""Fixtures shared across the test tree: the loopback OpenAI-compatible server."""

from tests.teacher.conftest import Loopback, loopback  # noqa: F401
