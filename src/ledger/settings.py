"""Every LEDGER_* environment variable, declared once: name, default, parser, doc, secrecy.

`validate()` checks every variable that is set and raises SettingError naming the first
bad one and its rule (`LEDGER_AGREEMENT_CACHE='lots': expected a whole number >= 0`);
every `ledger` command calls it first. The modules that use a setting read it with
`value(SETTING)`, so a rule is written in one place. Parsers only look at the text: a key
file named by LEDGER_SIGNING_KEY_FILE is read (and checked) by `ledger.tlog.keys` when used.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit

from ledger.errors import LedgerError

T = TypeVar("T")
MASK: Final = "***"


class SettingError(LedgerError):
    """A LEDGER_* variable holds a value its rule refuses; names the variable and the rule."""


class RuleError(ValueError):
    """Raised by a parser: the rule a setting's text breaks (without the variable's name)."""


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One environment variable: its parser turns the (stripped, non-empty) text into a value."""

    name: str
    default: T
    parse: Callable[[str], T]
    doc: str
    shown_default: str = ""
    secret: bool = False

    def masked(self, text: str) -> str:
        """The text as `ledger config` shows it: a secret's password or whole value as ***."""
        if not self.secret:
            return text
        if self.name == DATABASE_URL_NAME:
            return mask_url_password(text)
        return MASK


DATABASE_URL_NAME: Final = "LEDGER_DATABASE_URL"


def mask_url_password(url: str) -> str:
    """The URL with its password (if any) replaced by ***."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return MASK
    if not password:
        return url
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{parts.username or ''}:{MASK}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def text(value: str) -> str:
    """Any text."""
    return value


def whole_number(value: str) -> int:
    """A whole number >= 0."""
    if not (value.isascii() and value.isdigit()):
        raise RuleError("expected a whole number >= 0")
    return int(value)


#: Requests a server process works on at once at most: the connections its read model keeps
#: (projections.engine.store.READ_CONNECTIONS; a test holds the two equal).
MAX_SERVE_THREADS: Final = 16


def threads(value: str) -> int:
    """A whole number from 1 to MAX_SERVE_THREADS."""
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_SERVE_THREADS:
        raise RuleError(f"expected a whole number from 1 to {MAX_SERVE_THREADS}")
    return int(value)


def one_of(*choices: str) -> Callable[[str], str]:
    """One of `choices` (case-insensitive); returned in lower case."""

    def parse(value: str) -> str:
        if value.lower() not in choices:
            raise RuleError(f"expected one of {', '.join(choices)}")
        return value.lower()

    parse.__doc__ = f"{' or '.join(choices)}."
    return parse


def seconds(*, low: float, above: bool, high: float = math.inf) -> Callable[[str], float]:
    """A number of seconds >= low (> low when `above`), at most `high`."""
    floor = f"> {low:g}" if above else f">= {low:g}"
    rule = f"expected a number of seconds {floor}" + (
        f" and at most {high:g}" if high < math.inf else ""
    )

    def parse(value: str) -> float:
        try:
            number = float(value) if value.isascii() else math.nan
        except ValueError:
            number = math.nan
        ok = (number > low if above else number >= low) and number <= high
        if not ok or math.isinf(number):  # also refuses nan
            raise RuleError(rule)
        return number

    parse.__doc__ = f"{rule.removeprefix('expected ')}."
    return parse


def yes_no_auto(value: str) -> bool | None:
    """yes, no or auto (also 1/0, true/false)."""
    lowered = value.lower()
    if lowered in ("yes", "1", "true"):
        return True
    if lowered in ("no", "0", "false"):
        return False
    if lowered == "auto":
        return None
    raise RuleError("expected yes, no or auto")


def on_off(value: str) -> bool:
    """on or off (also yes/no, 1/0, true/false)."""
    lowered = value.lower()
    if lowered in ("on", "yes", "1", "true"):
        return True
    if lowered in ("off", "no", "0", "false"):
        return False
    raise RuleError("expected on or off")


def url(value: str) -> str:
    """A database URL: sqlite:///PATH or postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME."""
    if "://" not in value:
        raise RuleError(
            "expected sqlite:///PATH or postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME"
        )
    return value


def workers(value: str) -> int:
    """0 or 1."""
    if value not in ("0", "1"):
        raise RuleError("expected 0 or 1")
    return int(value)


DATABASE_URL: Final = Setting(
    DATABASE_URL_NAME,
    "",
    url,
    "the store (SQLite file or PostgreSQL)",
    "sqlite:///<working directory>/ledger.db",
    secret=True,
)
PG_LOCK_TIMEOUT: Final = Setting(
    "LEDGER_PG_LOCK_TIMEOUT",
    30.0,
    seconds(low=0, above=True, high=86_400),
    "seconds a PostgreSQL write waits for the write lock",
)
PG_STATEMENT_TIMEOUT: Final = Setting(
    "LEDGER_PG_STATEMENT_TIMEOUT",
    300.0,
    seconds(low=0, above=True, high=86_400),
    "seconds a PostgreSQL statement of a write may run",
)
READ_TOKEN_HASHES: Final = Setting(
    "LEDGER_READ_TOKEN_HASHES",
    "",
    text,
    "SHA-256 digests of the read tokens, comma-separated",
    "none",
    secret=True,
)
READ_TOKENS_FILE: Final = Setting(
    "LEDGER_READ_TOKENS_FILE", "", text, "a file of read-token digests, one a line", "none"
)
SESSION_SECRET: Final = Setting(
    "LEDGER_SESSION_SECRET",
    "",
    text,
    "signs the login cookie of the /ui pages; set it when several server processes run",
    "random per process",
    secret=True,
)
SERVE_PROJECT: Final[Setting[bool | None]] = Setting(
    "LEDGER_SERVE_PROJECT",
    None,
    yes_no_auto,
    "whether `ledger serve` projects (auto: on SQLite)",
    "auto",
)
PROJECTOR_WORKERS: Final[Setting[int | None]] = Setting(
    "LEDGER_PROJECTOR_WORKERS",
    None,
    workers,
    "fold processes of a long catch-up (0: none)",
    "1 with two cores or more",
)
SERVE_THREADS: Final[Setting[int | None]] = Setting(
    "LEDGER_SERVE_THREADS",
    None,
    threads,
    "requests a server process works on at once (its thread pool)",
    "2 on SQLite, 16 on PostgreSQL",
)
AGREEMENT_CACHE: Final = Setting(
    "LEDGER_AGREEMENT_CACHE",
    16,
    whole_number,
    "target-agreement cache entries per server process (0: off)",
)
RECORD_CACHE: Final = Setting(
    "LEDGER_RECORD_CACHE",
    20_000,
    whole_number,
    "records `ledger record` keeps between batches (0: none)",
)
SIGNING_KEY_FILE: Final = Setting(
    "LEDGER_SIGNING_KEY_FILE",
    "",
    text,
    "the log's Ed25519 signing key file (`ledger keygen`)",
    "none",
)
CHECKPOINT_INTERVAL: Final = Setting(
    "LEDGER_CHECKPOINT_INTERVAL",
    60.0,
    seconds(low=0, above=True),
    "seconds between the checkpoints a projecting server signs",
)
WITNESS_KEYS: Final = Setting(
    "LEDGER_WITNESS_KEYS",
    "",
    text,
    "the witnesses' verifier keys `ledger witness add` accepts",
    "none",
)
LOG_FORMAT: Final = Setting(
    "LEDGER_LOG_FORMAT", "text", one_of("text", "json"), "text or json (one JSON object a line)"
)
PROGRESS: Final = Setting(
    "LEDGER_PROGRESS", True, on_off, "off: no progress bar nor progress lines", "on"
)
PROGRESS_INTERVAL: Final = Setting(
    "LEDGER_PROGRESS_INTERVAL",
    5.0,
    seconds(low=0, above=False),
    "seconds between progress lines when not on a terminal",
)

#: Every setting, in the order of the docs.
SETTINGS: Final[tuple[Setting[Any], ...]] = (
    DATABASE_URL,
    PG_LOCK_TIMEOUT,
    PG_STATEMENT_TIMEOUT,
    READ_TOKEN_HASHES,
    READ_TOKENS_FILE,
    SESSION_SECRET,
    SERVE_PROJECT,
    PROJECTOR_WORKERS,
    SERVE_THREADS,
    AGREEMENT_CACHE,
    RECORD_CACHE,
    SIGNING_KEY_FILE,
    CHECKPOINT_INTERVAL,
    WITNESS_KEYS,
    LOG_FORMAT,
    PROGRESS,
    PROGRESS_INTERVAL,
)


def raw(setting: Setting[T], environ: Mapping[str, str] | None = None) -> str:
    """The variable's text, stripped; empty when it is not set."""
    return (os.environ if environ is None else environ).get(setting.name, "").strip()


def value(setting: Setting[T], environ: Mapping[str, str] | None = None) -> T:
    """The setting's value: its parsed text, or its default when unset or empty."""
    setting_text = raw(setting, environ)
    if not setting_text:
        return setting.default
    try:
        return setting.parse(setting_text)
    except RuleError as rule:
        raise SettingError(f"{setting.name}={setting_text!r}: {rule}") from None


def validate(environ: Mapping[str, str] | None = None) -> None:
    """Checks every set variable; SettingError naming the first bad one and its rule."""
    for setting in SETTINGS:
        value(setting, environ)


def rule(setting: Setting[Any]) -> str:
    """What the setting accepts, as the docs show it: its parser's doc, without the final stop."""
    doc = " ".join((setting.parse.__doc__ or "").split()).removesuffix(".")
    return doc[:1].lower() + doc[1:]


def shown_default(setting: Setting[Any]) -> str:
    """The default as the docs and `ledger config` show it."""
    if setting.shown_default:
        return setting.shown_default
    default = setting.default
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)
