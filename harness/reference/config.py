"""What a sync needs to know, from flags, the environment of DESIGN.md's `cmd:` table, or TOML.

Precedence: command-line flags, then the environment, then the config file, then defaults.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "LISTRAK_API_URL",
    "LISTRAK_AUTH_URL",
    "REVISIONS",
    "SEGMENT_URLS",
    "ConfigError",
    "ListConfig",
    "SyncConfig",
    "load_config",
]

LISTRAK_AUTH_URL = "https://auth.listrak.com/OAuth2/Token"
LISTRAK_API_URL = "https://api.listrak.com/email/v1"
SEGMENT_URLS = {"us": "https://api.segment.io/v1", "eu": "https://events.eu1.segmentapis.com/v1"}
REVISIONS = ("2023-07-13", "2023-08-03")


class ConfigError(ValueError):
    """Configuration that cannot work; the message is one sentence for the person running the sync."""


@dataclass(frozen=True, slots=True)
class ListConfig:
    """One integrated email list and the profile field whose value becomes the userId, if any."""

    list_id: int
    profile_field_id: int | None = None


@dataclass(slots=True)
class SyncConfig:
    """Everything one run of the reference sync needs."""

    listrak_client_id: str
    listrak_client_secret: str
    segment_write_key: str
    lists: tuple[ListConfig, ...]
    state_dir: Path
    listrak_auth_url: str = LISTRAK_AUTH_URL
    listrak_api_url: str = LISTRAK_API_URL
    segment_api_url: str = SEGMENT_URLS["us"]
    revision: str = REVISIONS[0]
    dry_run: bool = False
    page_size: int = 5000
    # Seconds: one HTTP exchange, and the whole retry budget of one call.
    request_timeout: float = 30.0
    retry_deadline: float = 300.0
    # Test seams: route HTTP in-process (httpx transports) and sleep on a fake clock.
    listrak_transport: httpx.BaseTransport | None = field(default=None, repr=False)
    segment_transport: httpx.BaseTransport | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.revision not in REVISIONS:
            raise ConfigError(f"Unknown revision {self.revision!r}: expected one of {', '.join(REVISIONS)}.")
        for name in ("listrak_client_id", "listrak_client_secret", "segment_write_key"):
            if not getattr(self, name):
                raise ConfigError(f"Missing {_ENV_OF[name]} (or --{name.replace('_', '-')}): the sync needs it.")
        # An empty list of lists is allowed: the integration has none yet (or none left), and the sync
        # has nothing to do; not naming any lists at all is refused where the settings are read.
        ids = [entry.list_id for entry in self.lists]
        if len(set(ids)) != len(ids):
            raise ConfigError(f"A list is configured twice: {sorted(ids)}.")
        for name in ("listrak_auth_url", "listrak_api_url", "segment_api_url"):
            url = getattr(self, name)
            if not _is_http_url(url):
                raise ConfigError(f"{_ENV_OF[name]} must be an http(s) URL like {_EXAMPLE_URLS[name]}, got {url!r}.")
        if not 1 <= self.page_size <= 5000:
            raise ConfigError(f"page_size must be between 1 and 5000 (Listrak's maximum), got {self.page_size}.")

    @property
    def trait_prefix(self) -> str:
        """`Listrak_list_` (2023-07-13) or `listrak_list_` (2023-08-03)."""
        return "Listrak_list_" if self.revision == "2023-07-13" else "listrak_list_"


_EXAMPLE_URLS = {
    "listrak_auth_url": LISTRAK_AUTH_URL,
    "listrak_api_url": LISTRAK_API_URL,
    "segment_api_url": SEGMENT_URLS["us"],
}


def _is_http_url(value: Any) -> bool:
    try:
        url = httpx.URL(value)
    except (TypeError, httpx.InvalidURL):
        return False
    return url.scheme in ("http", "https") and bool(url.host)


_ENV_OF = {
    "listrak_client_id": "LISTRAK_CLIENT_ID",
    "listrak_client_secret": "LISTRAK_CLIENT_SECRET",
    "segment_write_key": "SEGMENT_WRITE_KEY",
    "listrak_auth_url": "LISTRAK_AUTH_URL",
    "listrak_api_url": "LISTRAK_API_URL",
    "segment_api_url": "SEGMENT_API_URL",
    "revision": "LISTRAK_SOURCE_REVISION",
    "state_dir": "SYNC_STATE_DIR",
    "lists": "LISTRAK_SEGMENT_LISTS",
}


def parse_lists(value: Any, where: str) -> tuple[ListConfig, ...]:
    """Lists from JSON text or data: `[{"listId": 101, "profileFieldId": 5}, {"listId": 102}]`."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where} is not JSON: {exc.msg} at char {exc.pos}.") from None
    if not isinstance(value, list):
        raise ConfigError(f'{where} must be a list like [{{"listId": 101, "profileFieldId": 5}}].')
    lists = []
    for index, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where}[{index}] must be an object with listId, saw {entry!r}.")
        list_id = entry.get("listId", entry.get("list_id"))
        field_id = entry.get("profileFieldId", entry.get("profile_field_id"))
        if not _is_id(list_id):
            raise ConfigError(f"{where}[{index}].listId must be a positive integer, saw {list_id!r}.")
        if field_id is not None and not _is_id(field_id):
            raise ConfigError(f"{where}[{index}].profileFieldId must be a positive integer, saw {field_id!r}.")
        lists.append(ListConfig(int(list_id), int(field_id) if field_id is not None else None))
    return tuple(lists)


def _is_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return isinstance(value, int) and value > 0


def load_config(
    flags: Mapping[str, Any],
    environ: Mapping[str, str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
) -> SyncConfig:
    """Merge flags (None = not given), environment and an optional TOML file into a SyncConfig."""
    environ = os.environ if environ is None else environ
    from_file = _read_toml(config_file) if config_file else {}

    def pick(name: str, default: Any = None) -> Any:
        if flags.get(name) is not None:
            return flags[name]
        env_name = _ENV_OF.get(name)
        if env_name and environ.get(env_name):
            return environ[env_name]
        return from_file.get(name, default)

    def number(name: str, default: float, kind: type[int] | type[float]) -> float:
        # A config file can hold any type where a number belongs; say so rather than fail in int().
        value = pick(name, default)
        try:
            if isinstance(value, bool):
                raise ValueError
            return kind(value)
        except (TypeError, ValueError):
            where = f"--{name.replace('_', '-')}" if flags.get(name) is not None else f"the config file {config_file}"
            what = "a whole number" if kind is int else "a number of seconds"
            raise ConfigError(f"{name} must be {what}, got {value!r} (from {where}).") from None

    region = pick("segment_region", "us")
    if region not in SEGMENT_URLS:
        raise ConfigError(f"--segment-region must be us or eu, got {region!r}.")
    lists_value = pick("lists")
    if lists_value is None:
        raise ConfigError("No lists to sync: set LISTRAK_SEGMENT_LISTS, --list, or [[lists]] in the config file.")
    lists = lists_value if _is_list_configs(lists_value) else parse_lists(lists_value, _lists_source(flags, environ))
    state_dir = pick("state_dir")
    if not state_dir:
        raise ConfigError("Missing SYNC_STATE_DIR (or --state-dir): the sync keeps what it delivered there.")
    return SyncConfig(
        listrak_client_id=pick("listrak_client_id", ""),
        listrak_client_secret=pick("listrak_client_secret", ""),
        segment_write_key=pick("segment_write_key", ""),
        lists=lists,
        state_dir=Path(state_dir),
        listrak_auth_url=pick("listrak_auth_url", LISTRAK_AUTH_URL),
        listrak_api_url=pick("listrak_api_url", LISTRAK_API_URL),
        segment_api_url=pick("segment_api_url", SEGMENT_URLS[region]),
        revision=pick("revision", REVISIONS[0]),
        dry_run=bool(flags.get("dry_run")),
        page_size=int(number("page_size", 5000, int)),
        request_timeout=number("request_timeout", 30.0, float),
        retry_deadline=number("retry_deadline", 300.0, float),
    )


def _is_list_configs(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(v, ListConfig) for v in value)


def _lists_source(flags: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    if flags.get("lists") is not None:
        return "--lists"
    return "LISTRAK_SEGMENT_LISTS" if environ.get("LISTRAK_SEGMENT_LISTS") else "lists in the config file"


def _read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"Cannot read the config file {path}: {exc.strerror or exc}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The config file {path} is not valid TOML: {exc}.") from None
    listrak = data.get("listrak", {})
    segment = data.get("segment", {})
    for section, value in (("listrak", listrak), ("segment", segment)):
        if not isinstance(value, dict):
            raise ConfigError(f"[{section}] in the config file {path} must be a table, saw {value!r}.")
    flat: dict[str, Any] = {
        "listrak_client_id": listrak.get("client_id"),
        "listrak_client_secret": listrak.get("client_secret"),
        "listrak_auth_url": listrak.get("auth_url"),
        "listrak_api_url": listrak.get("api_url"),
        "segment_write_key": segment.get("write_key"),
        "segment_api_url": segment.get("api_url"),
        "segment_region": segment.get("region"),
        "revision": data.get("revision"),
        "state_dir": data.get("state_dir"),
        "page_size": data.get("page_size"),
        "request_timeout": data.get("request_timeout"),
        "retry_deadline": data.get("retry_deadline"),
    }
    if "lists" in data:
        flat["lists"] = parse_lists(data["lists"], f"lists in {path}")
    return {k: v for k, v in flat.items() if v is not None}
