"""The `listrak-harness` command line: serve (a real subprocess) and validate."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from harness.cli import main


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "serve" in capsys.readouterr().out


def test_serve_refuses_a_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--segment-port", "0"]) == 2
    error = capsys.readouterr().err
    assert "0.0.0.0" in error and "--allow-remote" in error


def test_serve_runs_the_fake_until_sigterm_and_logs_each_request() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "--segment-port", "0", "--write-key", "local-key"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line or not line:
                break
        exports = dict(
            line.removeprefix("export ").strip().split("=", 1) for line in lines if line.startswith("export ")
        )
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
    finally:
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0
    assert "POST /v1/identify 200" in stderr


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
