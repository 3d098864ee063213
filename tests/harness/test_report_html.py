"""The HTML report: one self-contained page whose timeline marks the violation, checked as parsed and as rendered."""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fake_segment.models import Discard, StoredMessage
from harness.checker import Finding
from harness.conform import CampaignResult, Failure, RuleCoverage, failing
from harness.fakekit.faults import FiredFault
from harness.history import CreateList, History, InjectFault, Integrate, Subscribe, Sync
from harness.replay import Run, SyncRecord
from harness.report_html import html_report, write_html
from harness.rules import CATALOGUE

OMIT = "python:broken_syncs:omit_removal"
BROWSER_TIMEOUT_S = 60.0
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# -- a small DOM from html.parser ------------------------------------------------------------------------------
@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        return [n for n in self.iter() if (tag is None or n.tag == tag) and (cls is None or cls in n.classes())]

    def by_id(self, element_id: str) -> Node:
        [node] = [n for n in self.iter() if n.attrs.get("id") == element_id]
        return node


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(document: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(document)
    builder.close()
    assert builder.stack == [builder.root], "every element is closed"
    return builder.root


def _words(text: str) -> str:
    return " ".join(text.split())


# -- results ------------------------------------------------------------------------------------------------------
_HOSTILE = 'Zoë <script>alert("x")</script> & \x01\x1b end'


@dataclass(frozen=True)
class _Outcome:
    """A sync outcome with the process fields a `cmd:` implementation reports."""

    ok: bool
    error: str | None = None
    seconds: float = 0.0
    stdout: str = ""
    stderr: str = ""
    crashed: bool = False


def _hostile_result() -> CampaignResult:
    """A hand-made failure with an error outcome, a fired fault, a discard and hostile values everywhere."""
    history = History(
        (
            CreateList(7, _HOSTILE),
            Integrate(7, 5),
            Subscribe(7, "zoë@exämple.com", {5: _HOSTILE}),
            InjectFault("segment", {"action": "status", "status": 500, "times": 1}),
            Sync(),
        ),
        "2023-07-13",
    )
    message = {
        "type": "identify",
        "messageId": "m-1",
        "anonymousId": "zoë@exämple.com",
        "userId": _HOSTILE,
        "traits": {"email": "zoë@exämple.com", "Listrak_list_7": "true", "note": _HOSTILE},
    }
    discarded = {**message, "messageId": "m-<2>", "traits": {"Listrak_list_7": None}}
    record = SyncRecord(
        number=1,
        step=4,
        outcome=_Outcome(False, f"exit 3: {_HOSTILE}", 0.5, "stdout: done", "stderr: <boom>", True),  # type: ignore[arg-type]
        messages=(StoredMessage(seq=1, write_key="other-key", message=message, received=0.0),),
        discards=(Discard(2, "harness-write-key", "duplicate", "seen before", discarded, "2024-01-01", 0.0),),
        faults=(
            FiredFault("fault-1", "status", "POST", "/v1/batch", "harness-write-key", datetime(2024, 1, 1, tzinfo=UTC)),
        ),
        views={"zoë@exämple.com": {"Listrak_list_7": "true", "email": "zoë@exämple.com"}},
    )
    findings = [
        Finding(
            rule="list-trait-value",
            revision="2023-07-13",
            quote=CATALOGUE["list-trait-value"].quote,
            sync_step=4,
            steps=(2,),
            messages=(1,),
            expected="true or null",
            seen='"true" <string>',
            explanation=f'At sync 1 (step 5), message 1 set Listrak_list_7 to the string "true"; {_HOSTILE}',
            sync=1,
            source=CATALOGUE["list-trait-value"].source,
        ),
        Finding(
            rule="redundant-message",
            revision="2023-07-13",
            quote=CATALOGUE["redundant-message"].quote,
            sync_step=4,
            steps=(),
            messages=("m-<2>",),
            expected="a message that changes the profile",
            seen="a duplicate",
            explanation="message m-<2> changed nothing",
            sync=1,
            source=CATALOGUE["redundant-message"].source,
        ),
    ]
    coverage = {
        "list-trait-value": RuleCoverage("list-trait-value", True, 1, 1),
        "write-key": RuleCoverage("write-key", False),
        "redundant-message": RuleCoverage("redundant-message", True, 1, 1),
    }
    failure = Failure(Path("/tmp/saved <x>.json"), findings, Run(history, "cmd:./sync.sh & <y>", (record,)))
    return CampaignResult("cmd:./sync.sh & <y>", "2023-07-13", 1, coverage, [failure], seed=7)


# -- the page, parsed ---------------------------------------------------------------------------------------------
def test_a_passing_campaign_shows_the_coverage_table_and_an_ok_verdict(passing_result: CampaignResult) -> None:
    page = parse(html_report(passing_result))
    assert page.by_id("verdict").text() == "OK: no rule violated in 5 histories"
    assert page.find_all("title")[0].text() == "OK: listrak-harness conform reference"
    rows = page.find_all("tr", "rule")
    assert [row.attrs["data-rule"] for row in rows] == list(passing_result.coverage)
    for row in rows:
        coverage = passing_result.coverage[row.attrs["data-rule"]]
        cells = [cell.text() for cell in row.find_all("td")]
        if coverage.checked:
            assert cells[1:4] == [str(coverage.exercised), str(coverage.passed), str(coverage.violated)]
        else:
            assert "unchecked" in row.classes() and cells[1:4] == ["-", "-", "-"]
            assert "not checked by this harness version" in cells[4]
    assert page.find_all("section", "failure") == [] and page.find_all("table", "timeline") == []


def test_the_timeline_lists_every_step_in_order_with_each_syncs_messages_beside_it(
    failing_result: CampaignResult,
) -> None:
    page = parse(html_report(failing_result))
    [failure] = failing_result.failures
    history = failure.run.history
    rows = page.by_id("f1-failure").find_all("tr", "step")
    assert [row.attrs["id"] for row in rows] == [f"f1-step-{n}" for n in range(1, len(history.steps) + 1)]
    records = {record.step: record for record in failure.run.records}
    for index, (row, step) in enumerate(zip(rows, history.steps, strict=True)):
        left, right = row.find_all("td", "left")[0], row.find_all("td", "right")[0]
        shown = [m.attrs["data-seq"] for m in right.find_all("div", "message")]
        if isinstance(step, Sync):
            record = records[index]
            assert f"sync {record.number}" in left.text() and "reported success" in left.text()
            assert shown == [str(m.seq) for m in record.messages]
            for stored in record.messages:
                card = right.find_all("div", "message")[shown.index(str(stored.seq))]
                assert card.attrs["id"] == f"f1-msg-{stored.seq}"
                text = card.text()
                for value in (stored.message["type"], stored.message["anonymousId"], stored.message["messageId"]):
                    assert value in text
                for trait in stored.message["traits"]:
                    assert f"traits.{trait}" in text
        else:
            assert _words(step.describe()) in _words(left.text()) and shown == []


def _notes(node: Node, rule: str) -> list[Node]:
    return [note for note in node.find_all("div", "note") if note.attrs.get("data-rule") == rule]


def test_each_finding_is_marked_where_it_points(failing_result: CampaignResult) -> None:
    page = parse(html_report(failing_result))
    [failure] = failing_result.failures
    violations = failing(failure.findings)
    assert [f.rule for f in violations] == ["unsubscribed-trait-removed"]
    # Rows marked as violations are exactly those the violations name (hazards are marked apart).
    named_by_violations = {step for f in violations for step in (f.sync_step, *f.steps)}
    assert {row.attrs["id"] for row in page.find_all("tr", "marked")} == {
        f"f1-step-{step + 1}" for step in named_by_violations
    }
    assert {m.attrs["id"] for m in page.find_all("div", "marked")} == {
        f"f1-msg-{seq}" for f in violations for seq in f.messages
    }
    for index, finding in enumerate(failure.findings, 1):
        severity = "violation" if finding in violations else "hazard"
        named = {finding.sync_step, *finding.steps}
        for step in named:
            row = page.by_id(f"f1-step-{step + 1}")
            assert finding.rule in row.attrs["data-rules"].split()
            [note] = _notes(row.find_all("td", "left")[0], finding.rule)
            assert severity in note.classes() and _words(finding.explanation) in _words(note.text())
        # The sync where the checker judged it carries what was expected and what was seen.
        [judged] = _notes(page.by_id(f"f1-step-{finding.sync_step + 1}").find_all("td", "left")[0], finding.rule)
        assert "judged" in judged.classes() and "judged here" in judged.text()
        assert [td.text() for td in judged.find_all("td")] == [finding.expected, finding.seen]
        # Each message it names is highlighted and annotated with the rule and the explanation.
        for seq in finding.messages:
            message = page.by_id(f"f1-msg-{seq}")
            assert message.classes() & {"marked", "marked-hazard"}
            [note] = _notes(message, finding.rule)
            assert _words(finding.explanation) in _words(note.text())
        # The finding itself: its quote and source, and a link to each place it marks.
        article = page.by_id(f"f1-finding-{index}")
        assert article.classes() == {"finding", severity}
        assert finding.quote in article.find_all("blockquote")[0].text()
        assert finding.source in article.find_all("blockquote")[0].text()
        links = {a.attrs["href"] for a in article.find_all("p", "where")[0].find_all("a")}
        assert links == {f"#f1-step-{step + 1}" for step in named} | {f"#f1-msg-{seq}" for seq in finding.messages}
    assert page.by_id("verdict").text() == "FAILED: unsubscribed-trait-removed violated"
    assert str(failure.path) in page.by_id("f1-failure").find_all("pre", "command")[0].text()


def test_the_page_needs_no_external_resource(failing_result: CampaignResult) -> None:
    document = html_report(failing_result)
    page = parse(document)
    assert page.find_all("link") == [] and page.find_all("script") == [] and page.find_all("img") == []
    for node in page.iter():
        for name in ("src", "href", "action", "srcset", "data"):
            value = node.attrs.get(name, "")
            assert not value or value.startswith("#"), f"<{node.tag} {name}={value!r}> leaves the page"
    [style] = page.find_all("style")
    assert "@import" not in style.text() and "url(" not in style.text()
    assert '<meta charset="utf-8">' in document


def test_hostile_values_are_escaped_and_outcome_faults_and_discards_shown() -> None:
    document = html_report(_hostile_result())
    assert "<script>" not in document and "\x01" not in document and "\x1b" not in document
    page = parse(document)
    assert page.find_all("script") == []
    row = page.by_id("f1-step-5")
    left = row.find_all("td", "left")[0].text()
    assert "crashed" in left and 'exit 3: Zoë <script>alert("x")</script> & \\x01\\x1b end' in left
    assert "stdout: done" in left and "stderr: <boom>" in left
    assert "fault fired: status on POST /v1/batch (fault-1)" in _words(left)
    card = page.by_id("f1-msg-1")
    assert {"message", "marked"} <= card.classes()
    assert "other-key" in card.text()  # sent with another write key than the history's
    assert '"Zoë <script>alert(\\"x\\")</script> & \\u0001\\u001b end"' in card.text()  # userId, as JSON
    assert "zoë@exämple.com" in card.text() and '"true"' in card.text()
    discard = page.by_id("f1-discard-2")
    assert {"discard"} <= discard.classes() and "duplicate (seen before)" in discard.text()
    assert "redundant-message" in discard.text()  # the hazard marks the discarded message it names
    assert page.by_id("f1-finding-2").classes() == {"finding", "hazard"}
    assert page.by_id("f1-finding-1").classes() == {"finding", "violation"}
    assert page.by_id("verdict").text() == "FAILED: list-trait-value violated"
    coverage = {row.attrs["data-rule"]: row.classes() for row in page.find_all("tr", "rule")}
    assert "failed" in coverage["list-trait-value"] and "hazard" in coverage["redundant-message"]
    assert "unchecked" in coverage["write-key"]


def test_the_report_is_written_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "conform.html"
    write_html(_hostile_result(), path)
    assert "zoë@exämple.com" in path.read_bytes().decode("utf-8")


# -- the page, rendered by a real browser -----------------------------------------------------------------------
def _chromium() -> str:
    """The Chromium binary; a failure (never a skip) when it is missing, so that CI cannot pass without it."""
    wanted = os.environ.get("CHROMIUM")
    found = shutil.which(wanted) if wanted else shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        where = f"$CHROMIUM={wanted!r}" if wanted else "chromium or chromium-browser on PATH"
        pytest.fail(
            f"Chromium is needed to render the HTML report in a real browser and was not found ({where}). "
            "`make test` installs it; by hand: apt-get install -y chromium"
        )
    return found


def _run_browser(binary: str, profile: Path, args: list[str], url: str, deadline: float) -> str:
    """Run headless Chromium on `url` and return its stdout; the whole process group dies at the deadline."""
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
    ]
    # Its own session, so that a hang is ended by killing exactly the processes this test started.
    with subprocess.Popen(
        [binary, *flags, *args, url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=max(deadline - time.monotonic(), 1.0))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"Chromium took more than {BROWSER_TIMEOUT_S:.0f} s to render {url}")
    if process.returncode != 0:
        pytest.fail(f"Chromium exited {process.returncode} rendering {url}: {stderr[-2000:]}")
    return stdout


def _png_colours(data: bytes) -> Counter[bytes]:
    """How many pixels of each RGB colour an 8-bit, non-interlaced RGB or RGBA PNG (as Chromium writes) has."""
    position, compressed, header = 8, b"", b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            compressed += body
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, "an RGB(A) screenshot"
    size = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(compressed), width * size
    previous, counts, offset = bytearray(stride), Counter[bytes](), 0
    for _ in range(height):
        kind, line = raw[offset], bytearray(raw[offset + 1 : offset + 1 + stride])
        offset += 1 + stride
        for x in range(stride):  # undo the PNG row filter (None, Sub, Up, Average, Paeth)
            left = line[x - size] if x >= size else 0
            up, corner = previous[x], previous[x - size] if x >= size else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                near = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))
                line[x] = (line[x] + near[2]) & 0xFF
        counts.update(bytes(line[x : x + 3]) for x in range(0, stride, size))
        previous = line
    return counts


def test_a_missing_chromium_fails_the_suite_and_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match=r"`make test` installs it; by hand: apt-get install -y chromium"):
        _chromium()


def test_chromium_renders_the_report_with_the_violation_marked(failing_result: CampaignResult, tmp_path: Path) -> None:
    binary = _chromium()
    deadline = time.monotonic() + BROWSER_TIMEOUT_S
    page_path = tmp_path / "conform.html"
    write_html(failing_result, page_path)
    url = page_path.as_uri()

    dom = _run_browser(binary, tmp_path / "profile", ["--dump-dom"], url, deadline)
    page = parse(dom)
    [failure] = failing_result.failures
    [finding] = failing(failure.findings)
    judged_row = page.by_id(f"f1-step-{finding.sync_step + 1}")
    assert "marked" in judged_row.classes()
    assert "judged here" in judged_row.text() and finding.seen in judged_row.text()
    for seq in finding.messages:
        assert "marked" in page.by_id(f"f1-msg-{seq}").classes()
    assert len(page.find_all("tr", "step")) == len(failure.run.history.steps)
    assert page.by_id("verdict").text() == f"FAILED: {finding.rule} violated"

    shot = tmp_path / "shot.png"
    _run_browser(binary, tmp_path / "profile", [f"--screenshot={shot}", "--window-size=1200,3000"], url, deadline)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000, f"{shot}: {len(data)} bytes"
    # The marks are visible, not only present: the violation red and the marked rows' tint cover real area.
    colours = _png_colours(data)
    assert colours[bytes.fromhex("b42318")] > 2_000 and colours[bytes.fromhex("fef3f2")] > 10_000, shot


def test_chromium_renders_hostile_text_as_text(tmp_path: Path) -> None:
    binary = _chromium()
    page_path = tmp_path / "hostile.html"
    write_html(_hostile_result(), page_path)
    dom = _run_browser(
        binary, tmp_path / "profile", ["--dump-dom"], page_path.as_uri(), time.monotonic() + BROWSER_TIMEOUT_S
    )
    page = parse(dom)
    # Had the page let the value through as markup, the browser would have built a <script> element.
    assert page.find_all("script") == []
    assert "zoë@exämple.com" in page.by_id("f1-msg-1").text()
