"""The reference Listrak -> Segment sync: what every other implementation is measured against,
and a tool in its own right for workspaces that cannot use the Listrak Source (EU)."""

from harness.reference.config import ConfigError, ListConfig, SyncConfig, load_config
from harness.reference.engine import Progress, sync
from harness.reference.report import SyncReport

__all__ = ["ConfigError", "ListConfig", "Progress", "SyncConfig", "SyncReport", "load_config", "sync"]
