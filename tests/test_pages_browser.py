"""The target agreement in a real browser: Debian's chromium, headless, over the DevTools protocol.

The test serves the API with the pages on a loopback port, opens the target agreement,
changes the date through the page's own form (htmx swaps in the new content and puts its
address in the bar; without JavaScript the browser submits the GET form), checks what is
shown, finds no console error, and writes screenshots to LEDGER_SCREENSHOT_DIR
(default: a temporary folder). Without chromium it is skipped, unless
LEDGER_REQUIRE_BROWSER=1, when it fails.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from pages_support import AGREEMENT, closing_model, pages_app, record_case
from websockets.sync.client import ClientConnection, connect

BROWSERS = ("chromium", "chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--lang=de-DE",
    "--window-size=1280,1600",
    "--remote-debugging-port=0",
)
#: How long any one step may take before the test gives up (a guard against a hang).
STEP_SECONDS = 60


def browser() -> str:
    """The chromium binary; skips (or fails with LEDGER_REQUIRE_BROWSER=1) without one."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    reason = "no chromium on PATH (apt-get install chromium chromium-driver)"
    if os.environ.get("LEDGER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"LEDGER_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def screenshot_dir() -> Path:
    """Where screenshots go: LEDGER_SCREENSHOT_DIR, else a fresh temporary folder."""
    named = os.environ.get("LEDGER_SCREENSHOT_DIR")
    folder = Path(named) if named else Path(tempfile.mkdtemp(prefix="ledger-screenshots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API with the pages on a loopback port, over the demo; yields its base URL."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'ledger.db'}"
    record_case(url)
    with closing_model(url) as rm:
        listening = socket.socket()
        listening.bind(("127.0.0.1", 0))
        port = listening.getsockname()[1]
        config = uvicorn.Config(pages_app(rm), log_level="warning", lifespan="on")
        running = uvicorn.Server(config)
        thread = threading.Thread(target=running.run, kwargs={"sockets": [listening]})
        thread.start()
        try:
            deadline = time.monotonic() + STEP_SECONDS
            while not running.started:
                assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            running.should_exit = True
            thread.join(STEP_SECONDS)
            listening.close()


class DevTools:
    """A page of a headless chromium, driven over the DevTools protocol."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Sends a command and returns its result (events that arrive meanwhile are kept)."""
        self.next_id += 1
        self.connection.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + STEP_SECONDS
        while True:
            message = json.loads(self.connection.recv(timeout=deadline - time.monotonic()))
            if message.get("id") == self.next_id:
                assert "error" not in message, (method, message["error"])
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def wait_for(self, event: str) -> dict[str, Any]:
        """Waits for the next event of a kind (one already kept counts, and is used up)."""
        for i, kept in enumerate(self.events):
            if kept.get("method") == event:
                return self.events.pop(i)
        deadline = time.monotonic() + STEP_SECONDS
        while True:
            message = json.loads(self.connection.recv(timeout=deadline - time.monotonic()))
            if message.get("method") == event:
                found: dict[str, Any] = message
                return found
            self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def wait_until(self, expression: str) -> None:
        """Waits until a JavaScript expression is true in the page."""
        deadline = time.monotonic() + STEP_SECONDS
        while not self.evaluate(expression):
            assert time.monotonic() < deadline, f"never true: {expression}"
            time.sleep(0.05)

    def open(self, url: str) -> None:
        """Navigates and waits for the page to load."""
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def screenshot(self, path: Path) -> None:
        """Writes a PNG of the whole page."""
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(data["data"]))

    def errors(self) -> list[dict[str, Any]]:
        """Console errors, uncaught exceptions and failed loads seen so far."""
        return [e for e in self.events if is_error(e)]


def is_error(event: dict[str, Any]) -> bool:
    """Whether a DevTools event reports an error in the page."""
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.consoleAPICalled":
        return params.get("type") in ("error", "assert")
    if method == "Log.entryAdded":
        return bool(params.get("entry", {}).get("level") == "error")
    return method == "Runtime.exceptionThrown"


@pytest.fixture
def page(tmp_path: Path) -> Iterator[DevTools]:
    """A headless chromium with its own profile folder, and the DevTools of its page."""
    binary = browser()
    profile = tmp_path / "profile"
    process = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + STEP_SECONDS
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            assert process.poll() is None, "chromium exited at start"
            assert time.monotonic() < deadline, "chromium opened no DevTools port"
            time.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            targets = json.load(answer)
        target = next(t for t in targets if t["type"] == "page")
        with connect(target["webSocketDebuggerUrl"], max_size=None, proxy=None) as connection:
            tools = DevTools(connection)
            for domain in ("Page", "Runtime", "Log"):
                tools.call(f"{domain}.enable")
            yield tools
    finally:
        process.terminate()
        try:
            process.wait(STEP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def row_text(page: DevTools, code: str) -> str:
    """The text of a measure's row."""
    value = page.evaluate(
        "Array.from(document.querySelectorAll('tr')).map(r => r.innerText)"
        f".find(t => t.startsWith({json.dumps(code)})) || ''"
    )
    return " ".join(str(value).split())  # tabs between cells, no-break spaces before %


def test_the_target_agreement_in_a_browser(server: str, page: DevTools) -> None:
    shots = screenshot_dir()
    page.open(f"{server}{AGREEMENT}?as_of=2018-01-31")
    assert page.evaluate("document.documentElement.lang") == "de"
    assert page.evaluate("document.querySelector('#achsen').innerText").startswith(
        "Stand 31.01.2018 · Kenntnisstand "
    )
    assert "60 %" in row_text(page, "M6.1.1")
    assert "in Umsetzung" in row_text(page, "M6.1.1")
    # The stylesheets came from the server: the axes box has its border.
    assert page.evaluate("getComputedStyle(document.querySelector('.axes')).borderLeftStyle") == (
        "solid"
    )
    page.screenshot(shots / "agreement-2018-01-31.png")

    # Change the date through the form, and compare with the first date: htmx (served by
    # the app) swaps the new content into this very page and puts its address in the bar.
    assert page.evaluate("typeof htmx") == "object"
    page.evaluate(
        "window.ledgerSamePage = true;"
        "document.getElementById('f-as-of').value = '2019-12-31';"
        "document.getElementById('f-vs-as-of').value = '2018-01-31';"
        "document.querySelector('#zeitpunkt button[type=submit]').click()"
    )
    page.wait_until("document.querySelector('#achsen').innerText.startsWith('Stand 31.12.2019 · ')")
    assert page.evaluate("window.ledgerSamePage") is True, "the page was loaded anew"
    search = page.evaluate("location.search")
    assert "as_of=2019-12-31" in search and "vs_as_of=2018-01-31" in search
    crumb = page.evaluate(
        "document.querySelector('#pfad [aria-current=page]').getAttribute('href')"
    )
    assert "as_of=2019-12-31" in crumb
    row = row_text(page, "M6.1.1")
    assert "100 %" in row
    assert "Fünf Treffs arbeiten" in row
    assert "▲ geändert" in row
    comparison = " ".join(
        str(page.evaluate("document.querySelector('.comparison').innerText")).split()
    )
    assert "Fortschritt 60 % → 100 %" in comparison
    assert page.evaluate("document.getElementById('f-as-of').value") == "2019-12-31"
    page.screenshot(shots / "agreement-2019-12-31-compared.png")

    # The address in the bar is the page's own: opened anew, it shows the same.
    page.open(str(page.evaluate("location.href")))
    assert "▲ geändert" in row_text(page, "M6.1.1")

    # The keyboard reaches the skip link first.
    page.call("Input.dispatchKeyEvent", type="keyDown", key="Tab", code="Tab", keyCode=9)
    page.call("Input.dispatchKeyEvent", type="keyUp", key="Tab", code="Tab", keyCode=9)
    assert page.evaluate("document.activeElement.innerText") == "Zum Inhalt springen"

    assert page.errors() == []
    assert (shots / "agreement-2018-01-31.png").stat().st_size > 0


def test_the_target_agreement_without_javascript(server: str, page: DevTools) -> None:
    page.call("Emulation.setScriptExecutionDisabled", value=True)
    page.open(f"{server}{AGREEMENT}?as_of=2018-01-31")
    # With scripts off, evaluate still runs (DevTools); the page's own scripts do not.
    assert page.evaluate("typeof htmx") == "undefined"
    page.evaluate(
        "document.getElementById('f-as-of').value = '2019-12-31';"
        "document.querySelector('#zeitpunkt button[type=submit]').click()"
    )
    page.wait_for("Page.loadEventFired")
    assert "as_of=2019-12-31" in page.evaluate("location.search")
    assert "100 %" in row_text(page, "M6.1.1")
    page.screenshot(screenshot_dir() / "agreement-2019-12-31-without-javascript.png")
    assert page.errors() == []
