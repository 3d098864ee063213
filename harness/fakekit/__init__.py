"""Pieces both fakes share: the clock, the fault engine, the server runner and the in-process transport."""

from .clock import Clock, ManualClock, OffsetClock, SystemClock, format_iso, parse_iso
from .faults import (
    BUILTIN_ACTIONS,
    DEFAULT_HANG_S,
    Fault,
    FaultEngine,
    FaultSpecError,
    FiredFault,
    parse_fault,
    parse_faults,
)
from .served import Served
from .server import (
    DEFAULT_MAX_BODY_BYTES,
    NotLoopbackError,
    ServerStartError,
    ServerThread,
    check_loopback,
    serve_forever,
    tune_gc_for_serving,
)
from .transport import FakeTransport, respx_side_effect
from .wsgi import (
    AccessLogMiddleware,
    ClientHang,
    ConnectionDropped,
    FaultMiddleware,
    FaultMiddlewareMissing,
    FaultReply,
    enact,
    enact_after,
)

__all__ = [
    "BUILTIN_ACTIONS",
    "DEFAULT_HANG_S",
    "DEFAULT_MAX_BODY_BYTES",
    "AccessLogMiddleware",
    "ClientHang",
    "Clock",
    "ConnectionDropped",
    "FakeTransport",
    "Fault",
    "FaultEngine",
    "FaultMiddleware",
    "FaultMiddlewareMissing",
    "FaultReply",
    "FaultSpecError",
    "FiredFault",
    "ManualClock",
    "NotLoopbackError",
    "OffsetClock",
    "Served",
    "ServerStartError",
    "ServerThread",
    "SystemClock",
    "check_loopback",
    "enact",
    "enact_after",
    "format_iso",
    "parse_fault",
    "parse_faults",
    "parse_iso",
    "respx_side_effect",
    "serve_forever",
    "tune_gc_for_serving",
]
