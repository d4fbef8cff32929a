"""Test helpers for the pages: the demo with its correction recorded later, clients, a crawl."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from api_support import PRIVATE_COMMANDS, TOKEN, TestClient, record
from fastapi import FastAPI

from api.app import create_app
from api.tokens import hash_token
from ledger.cli.record import demo_text, load_commands
from projections.queries import ReadModel, catch_up, events

BODY = "kyffhaeuserkreis"
AGREEMENT = f"/ui/bodies/{BODY}/processes/audit-fgk/2015/target-agreement"
RESOLUTION = f"/ui/bodies/{BODY}/resolutions/2018/6/067"
# The demo's own unpublished finding, and the non-public records api_support adds.
UNPUBLISHED = "messbaren Kriterien"


def record_case(url: str) -> datetime:
    """Records the demo, the non-public records, then the demo's correction in a later
    transaction (as `ledger demo` does); returns a moment known before the correction."""
    commands = load_commands(demo_text(), "demo")
    record(url, [c for c in commands if c.get("record") != "correction"])
    record(url, PRIVATE_COMMANDS)
    catch_up(url)
    with closing_model(url) as rm:
        before = events(rm, limit=1000, include_private=True)["events"][-1]["recorded_at"]
    record(url, [c for c in commands if c.get("record") == "correction"])
    catch_up(url)
    with closing_model(url) as rm:
        after = events(rm, limit=1000, include_private=True)["events"][-1]["recorded_at"]
    known_before = datetime.fromisoformat(before)
    # The premise of the tests that look before the correction (not a timing assertion).
    assert datetime.fromisoformat(after) > known_before
    return known_before


@contextmanager
def closing_model(url: str) -> Iterator[ReadModel]:
    """A read model on `url`, closed afterwards."""
    rm = ReadModel(url)
    try:
        yield rm
    finally:
        rm.close()


def pages_app(rm: ReadModel) -> FastAPI:
    """The API (which mounts the pages) over `rm`, TOKEN the read token."""
    return create_app(rm, tokens=[hash_token(TOKEN)])


@contextmanager
def pages_client(url: str, base_url: str = "http://testserver") -> Iterator[TestClient]:
    """A TestClient on the API with the pages over `url`."""
    with closing_model(url) as rm, TestClient(pages_app(rm), base_url=base_url) as client:
        yield client


class Page(HTMLParser):
    """What the crawl reads from a page: language, links, loaded resources, text."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.links: list[str] = []
        self.resources: list[str] = []
        self.text: list[str] = []
        self.forms: list[dict[str, Any]] = []
        self.labels: set[str] = set()
        self.inputs: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collects the attributes the crawl checks."""
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag in ("script", "img", "iframe") and a.get("src"):
            self.resources.append(str(a["src"]))
        if tag == "link" and a.get("href"):
            self.resources.append(str(a["href"]))
        if tag == "form":
            self.forms.append(a)
        if tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        if tag == "input":
            self.inputs.append(a)

    def handle_data(self, data: str) -> None:
        """Collects the text."""
        self.text.append(data)


def parse(html: str) -> Page:
    """A page's links, resources and text."""
    found = Page()
    found.feed(html)
    return found


def text_of(html: str) -> str:
    """The visible text of a page, whitespace collapsed."""
    return re.sub(r"\s+", " ", " ".join(parse(html).text)).replace(" :", ":")


@dataclass
class Crawl:
    """What a crawl from /ui/ found: the pages (path -> HTML) and the /v1 links."""

    pages: dict[str, str] = field(default_factory=dict)
    json_links: set[str] = field(default_factory=set)
    failures: list[tuple[str, int]] = field(default_factory=list)
    external: list[tuple[str, str]] = field(default_factory=list)
    #: path -> the first page that linked to it (to say where a failing link is)
    linked_from: dict[str, str] = field(default_factory=dict)


def crawl(client: TestClient, start: str = "/ui/", limit: int = 2000) -> Crawl:
    """Follows every link under /ui from `start` (but logout), as the acceptance check does."""
    base = str(client.base_url)
    host = urllib.parse.urlparse(base).netloc
    found = Crawl()
    seen: set[str] = set()
    queue = [start]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200:
            found.failures.append((path, response.status_code))
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        found.pages[path] = response.text
        page = parse(response.text)
        for resource in page.resources:
            target = urllib.parse.urlparse(urllib.parse.urljoin(base + path, resource))
            if target.netloc != host:
                found.external.append((path, resource))
        for href in page.links:
            target = urllib.parse.urlparse(urllib.parse.urljoin(base + path, href))
            if target.netloc != host:
                found.external.append((path, href))
                continue
            full = target.path + ("?" + target.query if target.query else "")
            if target.path.startswith("/ui") and "logout" not in target.path:
                queue.append(full)
                found.linked_from.setdefault(full, path)
            elif target.path.startswith("/v1"):
                found.json_links.add(full)
    return found


def login(client: TestClient, token: str = TOKEN) -> Any:
    """Posts the login form with a read token (no redirect followed)."""
    return client.post(
        "/ui/login",
        data={"token": token},
        headers={"Origin": str(client.base_url).rstrip("/")},
        follow_redirects=False,
    )
