"""Read tokens: loaded as SHA-256 digests only, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

from ledger.errors import LedgerError

TOKENS_FILE_VAR: Final = "LEDGER_READ_TOKENS_FILE"
TOKEN_HASHES_VAR: Final = "LEDGER_READ_TOKEN_HASHES"
DIGEST: Final = re.compile(r"^[0-9a-f]{64}$")


class TokenConfigError(LedgerError):
    """The configured token digests are unusable (a missing file, a line that is no digest)."""


def hash_token(token: str) -> str:
    """The SHA-256 hex digest of a read token, as stored in the configuration."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random read token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def _digest(value: str, where: str) -> bytes:
    digest = value.strip().lower()
    if not DIGEST.match(digest):
        msg = f"{where}: expected a SHA-256 hex digest (64 hex digits), got {value.strip()!r:.20}"
        raise TokenConfigError(msg)
    return bytes.fromhex(digest)


class ReadTokens:
    """The set of valid read-token digests; `accepts(token)` compares in constant time."""

    def __init__(self, digests: Iterable[str] = ()) -> None:
        self._digests: tuple[bytes, ...] = tuple(
            dict.fromkeys(_digest(d, "read-token digest") for d in digests)
        )

    def __len__(self) -> int:
        return len(self._digests)

    def accepts(self, token: str) -> bool:
        """True when the token's digest is configured; every digest is compared, no early exit."""
        candidate = hashlib.sha256(token.encode("utf-8")).digest()
        found = False
        for digest in self._digests:
            found |= hmac.compare_digest(candidate, digest)
        return found

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ReadTokens:
        """The digests in LEDGER_READ_TOKENS_FILE (one a line) and LEDGER_READ_TOKEN_HASHES."""
        env = os.environ if environ is None else environ
        digests: list[str] = []
        file_name = env.get(TOKENS_FILE_VAR, "").strip()
        if file_name:
            path = Path(file_name)
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                msg = f"{TOKENS_FILE_VAR}={file_name}: cannot read ({exc.strerror or exc})"
                raise TokenConfigError(msg) from None
            for number, line in enumerate(lines, start=1):
                text = line.strip()
                if text and not text.startswith("#"):
                    _digest(text, f"{TOKENS_FILE_VAR} {path}, line {number}")
                    digests.append(text)
        for item in env.get(TOKEN_HASHES_VAR, "").split(","):
            if item.strip():
                _digest(item, TOKEN_HASHES_VAR)
                digests.append(item)
        return cls(digests)
