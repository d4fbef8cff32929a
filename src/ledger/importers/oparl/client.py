"""Reading an OParl server (http, https) or a folder of OParl JSON (file://).

Every request has a timeout; a timeout, a dropped connection, 429 and 5xx answers are
tried again after a growing pause (Retry-After is honoured up to MAX_PAUSE); requests are
spaced to at most `rate` per second. A 404 or 410 is not tried again: the object is
missing. List pages are followed through `links.next`; the filters (`modified_since`) are
added to the first page only, as the specification says the server keeps them in its links.

A server's answers can only lead to more http(s) URLs: a `file://` link in a server's JSON
is refused, so a server cannot make the import read local files.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from ledger.errors import LedgerError
from ledger.importers.oparl.schema import kind_of

#: Status codes worth trying again: the server is busy or failed for the moment.
RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_PAUSE = 60.0
#: The most bytes one answer may have (a page of a hundred papers is a few hundred kB).
MAX_BYTES = 64 * 1024 * 1024
#: The most pages one list may have before the import takes it for a loop.
MAX_PAGES = 100_000
USER_AGENT = "ledger-oparl-import/1"


class FetchError(LedgerError):
    """An object or page could not be read; names the URL and why."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class MissingError(FetchError):
    """The server says the object is not there (404, 410)."""


@dataclass(frozen=True)
class Settings:
    """How the client treats the server: timeout and retries per request, requests per second."""

    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    rate: float = 10.0  # requests per second; 0: no limit
    max_bytes: int = MAX_BYTES


class Source(Protocol):
    """Where JSON documents come from, by URL."""

    def fetch(self, url: str) -> Any:
        """The parsed JSON at `url`; FetchError (MissingError for none) otherwise."""
        ...

    def fallback_list(self, url: str, kind: str) -> list[Any] | None:
        """For a list no page answers for: the objects of `kind` this source holds (or None)."""
        ...


@dataclass
class HttpSource:
    """An OParl server over http(s)."""

    settings: Settings
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    requests: int = 0
    _last: float | None = field(default=None, repr=False)

    def fetch(self, url: str) -> Any:
        """GET `url` as JSON, with the retries, pauses and request rate of the settings."""
        try:
            scheme = urlsplit(url).scheme
        except ValueError as error:
            raise FetchError(url, f"is not a URL that can be read ({error})") from None
        if scheme not in ("http", "https"):
            raise FetchError(url, "an OParl server's links must be http(s) URLs")
        attempt = 0
        while True:
            self._space()
            try:
                return self._get(url)
            except _RetryError as retry:
                attempt += 1
                if attempt > self.settings.retries:
                    tries = self.settings.retries + 1
                    raise FetchError(url, f"{retry.reason} ({tries} tries)") from None
                pause = self.settings.backoff * 2 ** (attempt - 1)
                self.sleep(min(max(pause, retry.after or 0.0), MAX_PAUSE))

    def fallback_list(self, url: str, kind: str) -> list[Any] | None:
        """A server answers for its lists itself."""
        return None

    def _space(self) -> None:
        rate = self.settings.rate
        if rate > 0 and self._last is not None:
            wait = self._last + 1.0 / rate - self.clock()
            if wait > 0:
                self.sleep(wait)
        self._last = self.clock()

    def _get(self, url: str) -> Any:
        self.requests += 1
        request = urllib.request.Request(
            url, headers={"Accept": "application/json", "User-Agent": USER_AGENT}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as answer:
                data = answer.read(self.settings.max_bytes + 1)
        except urllib.error.HTTPError as error:
            status = error.code
            error.close()
            if status in (404, 410):
                raise MissingError(url, f"the server answers {status} (no such object)") from None
            if status in RETRYABLE:
                raise _RetryError(f"the server answers {status}", _retry_after(error)) from None
            raise FetchError(url, f"the server answers {status}") from None
        except TimeoutError:
            raise _RetryError(f"no answer within {self.settings.timeout:g} s") from None
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError):
                raise _RetryError(f"no answer within {self.settings.timeout:g} s") from None
            raise _RetryError(f"cannot connect ({reason})") from None
        except (OSError, http.client.HTTPException) as error:
            raise _RetryError(f"the connection failed ({type(error).__name__}: {error})") from None
        except ValueError as error:  # urllib's word for a malformed URL
            raise FetchError(url, f"is not a URL that can be read ({error})") from None
        if len(data) > self.settings.max_bytes:
            raise FetchError(url, f"the answer is larger than {self.settings.max_bytes:,} bytes")
        return _parse(url, data)


class _RetryError(Exception):
    def __init__(self, reason: str, after: float | None = None) -> None:
        self.reason = reason
        self.after = after
        super().__init__(reason)


def _retry_after(error: urllib.error.HTTPError) -> float | None:
    value = error.headers.get("Retry-After") if error.headers else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _parse(url: str, data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise FetchError(url, "the answer is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise FetchError(url, f"the answer is not JSON ({error.msg} at {error.pos})") from None
    except RecursionError:
        raise FetchError(url, "the answer is nested too deeply") from None


class FolderSource:
    """A folder of OParl JSON files for offline work (`file:///path/to/folder`).

    Every JSON file is read once: an object is found by its `id` (embedded objects too), a
    list page by its `links.self` (a first page also by `links.first`). A list that no page
    in the folder answers for is the folder's objects of that list's type.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.objects: dict[str, Any] = {}
        self.pages: dict[str, Any] = {}
        self.by_kind: dict[str, list[Any]] = {}
        files = [folder] if folder.is_file() else sorted(folder.rglob("*.json"))
        if not files:
            raise FetchError(folder.as_uri(), "the folder holds no .json files")
        for path in files:
            try:
                document = json.loads(path.read_text(encoding="utf-8-sig"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
                raise FetchError(path.as_uri(), f"cannot be read as JSON ({error})") from None
            self._index(document, top=True)

    def _index(self, document: Any, *, top: bool) -> None:
        if isinstance(document, list):
            for item in document:
                self._index(item, top=top)
            return
        if not isinstance(document, dict):
            return
        if isinstance(document.get("data"), list) and top:
            found = document.get("links")
            links: dict[str, Any] = found if isinstance(found, dict) else {}
            for name in ("self", "first") if not links.get("prev") else ("self",):
                if isinstance(links.get(name), str):
                    self.pages.setdefault(links[name], document)
            for item in document["data"]:
                self._index(item, top=True)
            return
        identifier = document.get("id")
        if isinstance(identifier, str):
            self.objects.setdefault(identifier, document)
            kind = kind_of(document)
            if kind is not None and top:
                self.by_kind.setdefault(kind, []).append(document)
        for value in document.values():
            if isinstance(value, dict | list):
                self._index(value, top=False)

    def fetch(self, url: str) -> Any:
        """The object or page of the folder with this URL (the query is matched too); for the
        folder's own URL, its System (or, without one, its only Body)."""
        if url.rstrip("/") == self.folder.as_uri().rstrip("/"):
            for kind in ("System", "Body"):
                found = self.by_kind.get(kind, [])
                if len(found) == 1:
                    return found[0]
            raise FetchError(url, "the folder holds no System and not exactly one Body")
        for key in (url, _without_query(url)):
            if key in self.pages:
                return self.pages[key]
            if key in self.objects:
                return self.objects[key]
        raise MissingError(url, f"no object or list page with this URL in {self.folder}")

    def fallback_list(self, url: str, kind: str) -> list[Any] | None:
        """The folder's objects of `kind`, for a list URL no page claims."""
        if url in self.pages or _without_query(url) in self.pages:
            return None
        return list(self.by_kind.get(kind, []))


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def with_params(url: str, params: dict[str, str]) -> str:
    """`url` with these query parameters added (replacing ones of the same name)."""
    if not params:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def open_source(url: str, settings: Settings) -> Source:
    """The source behind an import URL: a server (http, https) or a folder (file://)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        if not parts.netloc:
            raise FetchError(url, "an http(s) URL needs a host")
        return HttpSource(settings)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise FetchError(url, "a file:// URL must name a local folder (file:///path)")
        path = Path(unquote(parts.path))
        if not path.exists():
            raise FetchError(url, "no such file or folder")
        return FolderSource(path)
    raise FetchError(url, "must be an http://, https:// or file:// URL")


@dataclass
class Client:
    """Objects and lists of one OParl source, each object read once per run."""

    source: Source
    progress: Callable[[str], None] | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    pages_read: int = 0

    def get(self, url: str) -> Any:
        """The JSON at `url` (read once)."""
        if url not in self.cache:
            self.cache[url] = self.source.fetch(url)
        return self.cache[url]

    def objects(self, url: str, kind: str, params: dict[str, str] | None = None) -> Iterator[Any]:
        """The objects of an external list, page by page through `links.next`.

        A folder that holds no page for the list gives its objects of `kind`, filtered by
        `modified_since` as a server would (deleted ones only with that filter).
        """
        params = params or {}
        fallback = self.source.fallback_list(url, kind)
        if fallback is not None:
            yield from _filtered(fallback, params.get("modified_since"))
            return
        seen: set[str] = set()
        page_url: str | None = with_params(url, params)
        count = 0
        while page_url is not None:
            if page_url in seen or len(seen) >= MAX_PAGES:
                raise FetchError(page_url, "the list's links.next leads to a page already read")
            seen.add(page_url)
            page = self.source.fetch(page_url)
            data = page.get("data") if isinstance(page, dict) else None
            if not isinstance(data, list):
                raise FetchError(page_url, "is not an OParl list page (no 'data' array)")
            self.pages_read += 1
            count += len(data)
            yield from data
            links = page.get("links")
            following = links.get("next") if isinstance(links, dict) else None
            if following is not None and not isinstance(following, str):
                raise FetchError(page_url, "its links.next is not a URL")
            page_url = following or None
            if self.progress is not None and len(seen) % 20 == 0:
                self.progress(f"{kind}: {len(seen)} pages, {count} objects read")


def _filtered(objects: list[Any], since: str | None) -> Iterator[Any]:
    for obj in objects:
        if not isinstance(obj, dict):
            yield obj
            continue
        if since is None:
            if obj.get("deleted") is not True:
                yield obj
            continue
        modified = obj.get("modified")
        if not isinstance(modified, str) or _instant(modified) >= _instant(since):
            yield obj


def _instant(text: str) -> float:
    value = text.replace("z", "Z").replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return float("inf")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
