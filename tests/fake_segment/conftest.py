"""Fixtures for the fake Segment's tests: a backend on a manual clock and its app's test client."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fake_segment.app import create_app
from fake_segment.backend import SegmentBackend
from fake_segment.models import Settings
from harness.fakekit.clock import ManualClock

START = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def backend(clock: ManualClock) -> SegmentBackend:
    return SegmentBackend(clock=clock, settings=Settings(), seed=1)


@pytest.fixture
def app(backend: SegmentBackend) -> Flask:
    return create_app(backend)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
