"""The `listrak-harness` command line: serve (a real subprocess) and validate."""

from __future__ import annotations

import gc
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cmd_support import DESIGN_CMD_VARIABLES

import harness.commands.sync as sync_command
from harness.cli import main


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "serve" in capsys.readouterr().out


def test_serve_refuses_a_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--segment-port", "0"]) == 2
    error = capsys.readouterr().err
    assert "0.0.0.0" in error and "--allow-remote" in error


def start_serve(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Run `listrak-harness serve` on free ports; returns the process and the exports it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "--segment-port", "0", "--listrak-port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if "Ctrl-C" in line or not line:
            break
    # Parse the export lines the way a shell would (values may be quoted).
    exports = dict(shlex.split(line)[1].split("=", 1) for line in lines if line.startswith("export "))
    return process, exports


def stop(process: subprocess.Popen[str]) -> str:
    """SIGTERM the server; returns its stderr once it exited."""
    process.send_signal(signal.SIGTERM)
    _stdout, stderr = process.communicate(timeout=15)
    return stderr


def test_serve_runs_both_fakes_until_sigterm_and_logs_each_request() -> None:
    process, exports = start_serve("--write-key", "local-key", "--client-id", "cid", "--client-secret", "csecret")
    try:
        assert set(exports) >= DESIGN_CMD_VARIABLES
        api = exports["SEGMENT_API_URL"]
        assert api.startswith("http://127.0.0.1:") and api.endswith("/v1")
        assert exports["SEGMENT_WRITE_KEY"] == "local-key"
        response = httpx.post(api + "/identify", json={"anonymousId": "a@x.io"}, auth=("local-key", ""))
        assert response.status_code == 200
        assert response.headers["Server"] != "Werkzeug"  # a production server, not Flask's dev server
        stranger = httpx.post(api + "/identify", json={"anonymousId": "b@x.io"}, auth=("stranger", ""))
        assert stranger.status_code == 200
        discards = httpx.get(api.removesuffix("/v1") + "/_fake/discards").json()["discards"]
        assert [d["reason"] for d in discards] == ["unknown_write_key"]
        token = httpx.post(
            exports["LISTRAK_AUTH_URL"],
            data={"grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"},
        )
        assert token.status_code == 200 and token.json()["token_type"] == "bearer"
        bearer = {"Authorization": "Bearer " + token.json()["access_token"]}
        assert httpx.get(exports["LISTRAK_API_URL"] + "/List", headers=bearer).json() == {"status": 200, "data": []}
    finally:
        stderr = stop(process)
    assert process.returncode == 0
    assert "POST /v1/identify 200" in stderr
    assert "POST /OAuth2/Token 200" in stderr


def test_serve_seeds_the_fake_listrak_and_exports_its_lists(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"lists": [{"listId": 7, "listName": "News", "contacts": ["a@x.io", "b@x.io"]}]}))
    process, exports = start_serve("--seed", str(seed), "--quiet")
    try:
        assert json.loads(exports["LISTRAK_SEGMENT_LISTS"]) == [{"listId": 7}]
        token = httpx.post(
            exports["LISTRAK_AUTH_URL"],
            data={
                "grant_type": "client_credentials",
                "client_id": exports["LISTRAK_CLIENT_ID"],
                "client_secret": exports["LISTRAK_CLIENT_SECRET"],
            },
        ).json()["access_token"]
        page = httpx.get(exports["LISTRAK_API_URL"] + "/List/7/Contact", headers={"Authorization": f"Bearer {token}"})
        assert sorted(c["emailAddress"] for c in page.json()["data"]) == ["a@x.io", "b@x.io"]
        # Its clock is the wall clock, movable from the admin API: an hour on, the token has expired.
        admin = exports["LISTRAK_API_URL"].removesuffix("/email/v1") + "/_fake"
        assert httpx.post(admin + "/clock/advance", json={"seconds": 3600}).status_code == 200
        expired = httpx.get(exports["LISTRAK_API_URL"] + "/List", headers={"Authorization": f"Bearer {token}"})
        assert (expired.status_code, expired.json()["error"]) == (401, "ERROR_UNAUTHORIZED")
    finally:
        stop(process)


def test_serve_refuses_an_unreadable_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "seed.json"
    bad.write_text("{not json")
    assert main(["serve", "--segment-port", "0", "--listrak-port", "0", "--seed", str(bad)]) == 2
    assert "cannot seed" in capsys.readouterr().err


def test_validate_passes_a_good_file_and_fails_a_bad_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.ndjson"
    good.write_text(json.dumps({"type": "identify", "anonymousId": "a@x.io", "traits": {"email": "a@x.io"}}) + "\n")
    assert main(["validate", str(good)]) == 0
    bad = tmp_path / "bad.ndjson"
    bad.write_text(json.dumps({"type": "identify", "anonymousId": "a@x.io", "traits": "text"}) + "\nnot json\n")
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "line 1" in out and "$.traits" in out and "line 2" in out


def test_validate_explains_an_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "missing.ndjson")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_the_cli_starts_without_loading_the_engine_or_the_fakes() -> None:
    # `listrak-harness sync` runs from cron and as every step of a cmd: campaign: its start-up is paid each time.
    probe = (
        "import sys, harness.cli; "
        "print(sorted(m for m in ('hypothesis', 'flask', 'jsonschema', 'harness.checker', 'fake_listrak') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_sync_parses_its_flags_without_loading_the_other_commands() -> None:
    probe = (
        "import sys; from harness.cli import main\n"
        "try:\n    main(['sync', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('harness.commands.')), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "--dry-run" in done.stdout
    assert done.stderr.strip() == "['harness.commands.sync']"


def test_a_sync_relaxes_the_collector_for_its_duration_only(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int, int]] = []
    monkeypatch.setattr(sync_command, "_run_sync", lambda args: seen.append(gc.get_threshold()) or 0)
    before = gc.get_threshold()
    assert main(["sync"]) == 0
    assert seen == [sync_command.SYNC_GC_THRESHOLDS]
    assert gc.get_threshold() == before
