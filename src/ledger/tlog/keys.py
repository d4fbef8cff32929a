"""The log's keys as the ledger is configured with them: the signing key, witnesses, interval.

- LEDGER_SIGNING_KEY_FILE: a file holding the log's C2SP private key
  (`PRIVATE+KEY+<name>+<key id>+<base64>`, as `ledger keygen` writes it); its name is the
  checkpoints' origin line.
- LEDGER_WITNESS_KEYS: the verifier keys of the witnesses whose cosignatures `ledger witness
  add` accepts, separated by commas or newlines.
- LEDGER_CHECKPOINT_INTERVAL: seconds between the checkpoints a follower signs (default 60).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ledger import settings
from ledger.errors import LedgerError
from ledger.tlog.checkpoint import cosignature_verifier
from ledger.tlog.note import (
    COSIGNATURE_V1,
    ED25519,
    NoteError,
    PrivateKey,
    Verifier,
    ed25519_verifier,
    generate_key,
    parse_private_key,
    parse_vkey,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

SIGNING_KEY_VAR: Final = "LEDGER_SIGNING_KEY_FILE"
WITNESS_KEYS_VAR: Final = "LEDGER_WITNESS_KEYS"
INTERVAL_VAR: Final = "LEDGER_CHECKPOINT_INTERVAL"
DEFAULT_INTERVAL: Final = 60.0
#: The most bytes a key file may have (a key is about 100).
MAX_KEY_FILE: Final = 4096


class KeyConfigError(LedgerError):
    """A key setting or key file that cannot be used; names the variable or file and why."""


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def read_key_file(path: Path, what: str) -> PrivateKey:
    """A private key file; KeyConfigError naming `what` and the file if it is not one."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_KEY_FILE + 1)
    except OSError as e:
        raise KeyConfigError(f"{what}: cannot read {path}: {e.strerror or e}") from None
    if len(raw) > MAX_KEY_FILE:
        raise KeyConfigError(f"{what}: {path} is not a key file (larger than {MAX_KEY_FILE} bytes)")
    try:
        return parse_private_key(raw.decode("utf-8"))
    except (NoteError, UnicodeDecodeError) as e:
        raise KeyConfigError(f"{what}: {path} is not a C2SP private key ({e})") from None


def signing_key(environ: Mapping[str, str] | None = None) -> PrivateKey | None:
    """The log's signing key from LEDGER_SIGNING_KEY_FILE; None when it is not set."""
    setting = _environ(environ).get(SIGNING_KEY_VAR, "").strip()
    if not setting:
        return None
    key = read_key_file(Path(setting), SIGNING_KEY_VAR)
    if key.key_type != ED25519:
        msg = (
            f"{SIGNING_KEY_VAR}: {setting} holds a key of type {key.key_type:#04x} (a witness's "
            "cosigning key); the log signs with an Ed25519 key of type 0x01 (`ledger keygen`)"
        )
        raise KeyConfigError(msg)
    return key


def require_signing_key(environ: Mapping[str, str] | None = None) -> PrivateKey:
    """The log's signing key; KeyConfigError saying how to make one if none is configured."""
    key = signing_key(environ)
    if key is None:
        msg = (
            f"{SIGNING_KEY_VAR} is not set: make the log's key with `ledger keygen --origin "
            f"ORIGIN --out PREFIX` and set {SIGNING_KEY_VAR}=PREFIX.key"
        )
        raise KeyConfigError(msg)
    return key


def witness_verifiers(environ: Mapping[str, str] | None = None) -> list[Verifier]:
    """The witnesses' verifier keys from LEDGER_WITNESS_KEYS (cosignature/v1 or Ed25519)."""
    setting = _environ(environ).get(WITNESS_KEYS_VAR, "")
    verifiers: list[Verifier] = []
    for number, text in enumerate((t.strip() for t in re.split(r"[,\n]", setting)), start=1):
        if not text:
            continue
        try:
            key_type = parse_vkey(text)[2]
            if key_type == COSIGNATURE_V1:
                verifiers.append(cosignature_verifier(text))
            else:
                verifiers.append(ed25519_verifier(text))
        except NoteError as e:
            raise KeyConfigError(f"{WITNESS_KEYS_VAR}: key {number}: {e}") from None
    return verifiers


def checkpoint_interval(environ: Mapping[str, str] | None = None) -> float:
    """Seconds between a follower's checkpoints (LEDGER_CHECKPOINT_INTERVAL, default 60)."""
    try:
        return settings.value(settings.CHECKPOINT_INTERVAL, environ)
    except settings.SettingError as e:
        raise KeyConfigError(str(e)) from None


def key_file_name(name: str) -> str:
    """A file name for a key name (an origin like example.org/log): unsafe characters as _."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).strip(".") or "log"


def write_key_pair(origin: str, prefix: Path) -> tuple[Path, Path, PrivateKey]:
    """Make the log's key named `origin`: PREFIX.key (mode 0600, never overwritten), PREFIX.pub.

    Returns both paths and the key. KeyConfigError if the origin is no key name or a file
    cannot be written.
    """
    try:
        key = generate_key(origin)
    except NoteError as e:
        raise KeyConfigError(f"--origin: {e}") from None
    secret = Path(f"{prefix}.key")
    public = Path(f"{prefix}.pub")
    try:
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        msg = f"{secret} exists: a log's key is never overwritten (choose another --out)"
        raise KeyConfigError(msg) from None
    except OSError as e:
        raise KeyConfigError(f"--out: cannot create {secret}: {e.strerror or e}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(key.text() + "\n")
    try:
        public.write_text(key.vkey + "\n", encoding="utf-8")
    except OSError as e:
        raise KeyConfigError(f"--out: cannot write {public}: {e.strerror or e}") from None
    return secret, public, key
