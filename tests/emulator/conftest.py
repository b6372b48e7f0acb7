"""Fixtures of the emulator's own tests: one emulator with the default configuration."""

import pytest

from tests.emulator_support import EmulatorProcess


@pytest.fixture(scope="session")
def default_emulator():
    """An emulator with its default configuration, as `make run` starts it, shared by the session."""
    with EmulatorProcess() as running:
        yield running


@pytest.fixture
def emulator(default_emulator):
    """The default emulator, reset before the test and with its faults cleared after it."""
    default_emulator.reset()
    yield default_emulator
    default_emulator.clear_faults()
