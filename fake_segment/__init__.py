"""A fake of Segment's HTTP Tracking API that builds the profiles Segment would build."""

from fake_segment.app import create_app
from fake_segment.backend import SegmentBackend
from fake_segment.exceptions import SegmentError
from fake_segment.models import Discard, Settings, StoredMessage
from fake_segment.server import FakeSegment, WriteKeyView

__all__ = [
    "Discard",
    "FakeSegment",
    "SegmentBackend",
    "SegmentError",
    "Settings",
    "StoredMessage",
    "WriteKeyView",
    "create_app",
]
