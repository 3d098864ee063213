"""Pieces both fakes share: the clock, the fault engine, the server runner and the in-process transport."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Each name lives in a submodule, loaded on first use: a process that only needs the clock (the
# reference sync) does not pay for waitress, the fault engine and the transports.
_SUBMODULE = {
    "BUILTIN_ACTIONS": "faults",
    "DEFAULT_HANG_S": "faults",
    "DEFAULT_MAX_BODY_BYTES": "server",
    "AccessLogMiddleware": "wsgi",
    "ClientHang": "wsgi",
    "Clock": "clock",
    "ConnectionDropped": "wsgi",
    "FakeTransport": "transport",
    "Fault": "faults",
    "FaultEngine": "faults",
    "FaultMiddleware": "wsgi",
    "FaultMiddlewareMissing": "wsgi",
    "FaultReply": "wsgi",
    "FaultSpecError": "faults",
    "FiredFault": "faults",
    "ManualClock": "clock",
    "NotLoopbackError": "server",
    "OffsetClock": "clock",
    "Served": "served",
    "ServerStartError": "server",
    "ServerThread": "server",
    "SystemClock": "clock",
    "check_loopback": "server",
    "enact": "wsgi",
    "enact_after": "wsgi",
    "format_iso": "clock",
    "parse_fault": "faults",
    "parse_faults": "faults",
    "parse_iso": "clock",
    "respx_side_effect": "transport",
    "serve_forever": "server",
    "IdleCollector": "collector",
    "serving_collector": "collector",
    "note_activity": "collector",
    "last_activity": "collector",
}

if TYPE_CHECKING:
    from .clock import Clock, ManualClock, OffsetClock, SystemClock, format_iso, parse_iso
    from .collector import IdleCollector, last_activity, note_activity, serving_collector
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
    "IdleCollector",
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
    "last_activity",
    "note_activity",
    "parse_fault",
    "parse_faults",
    "parse_iso",
    "respx_side_effect",
    "serve_forever",
    "serving_collector",
]


def __getattr__(name: str) -> Any:
    module = _SUBMODULE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
