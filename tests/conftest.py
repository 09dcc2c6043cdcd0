"""Shared fixtures: Home Assistant's custom-integration loader, no deprecations of ours, reproducible Hypothesis."""

from collections.abc import Iterator
import logging

from hypothesis import settings
import pytest

from custom_components.orvibo_s20.const import DOMAIN

# Every run draws the same examples (seeded from each test function), so a failure found once is
# found again; no example database to carry between machines. Explicit @settings inherit this.
settings.register_profile("orvibo", derandomize=True, database=None, deadline=None, print_blob=True)
settings.load_profile("orvibo")


def pytest_configure(config: pytest.Config) -> None:
    """Silence one false alarm of Hypothesis about itself.

    Derandomized runs seed through a Random that Hypothesis keeps in its own thread-local; on
    Python 3.14 its self-check cannot see that reference and warns that the Random may be collected.
    """
    config.addinivalue_line("filterwarnings", "ignore:It looks like `register_random`:hypothesis.errors.HypothesisWarning")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/orvibo_s20 (phacc requires this)."""


def names_our_deprecation(message: str) -> bool:
    """Whether a log line is Home Assistant reporting something of this integration as deprecated.

    Home Assistant reports (helpers/frame.py, helpers/deprecation.py) log a warning such as
    "Detected that custom integration 'orvibo_s20' calls ... which is deprecated ...".
    """
    return DOMAIN in message and "deprecat" in message.lower()


class _DeprecationCatcher(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if names_our_deprecation(message):
            self.messages.append(message)


@pytest.fixture(autouse=True)
def _no_deprecations() -> Iterator[None]:
    """Fail a test during which Home Assistant reported anything of this integration as deprecated."""
    catcher = _DeprecationCatcher()
    root = logging.getLogger()
    root.addHandler(catcher)
    try:
        yield
    finally:
        root.removeHandler(catcher)
    assert not catcher.messages, f"Home Assistant reports a deprecation of {DOMAIN}: {catcher.messages}"
