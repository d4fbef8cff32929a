"""Text from scans through the `tesseract` command with German data (tesseract-ocr-deu)."""

from __future__ import annotations

import shutil
import subprocess

from ledger.errors import LedgerError

INSTALL_HINT = (
    "reading scans needs Tesseract with German data "
    "(Debian: apt-get install tesseract-ocr tesseract-ocr-deu)"
)
PAGE_TIMEOUT_SECONDS = 300


class OcrError(LedgerError):
    """OCR is unavailable (no tesseract, no German data) or failed (the CLI exits 2)."""


def tesseract_ready() -> str | None:
    """None when tesseract with German data is installed, else why not."""
    exe = shutil.which("tesseract")
    if exe is None:
        return f"the tesseract command is not installed; {INSTALL_HINT}"
    try:
        listed = subprocess.run(
            [exe, "--list-langs"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"tesseract does not run ({exc}); {INSTALL_HINT}"
    languages = {word.strip() for word in (listed.stdout + listed.stderr).split()}
    if "deu" not in languages:
        return f"tesseract has no German data (deu); {INSTALL_HINT}"
    return None


def image_text(path: str) -> str:
    """The German OCR text of one image file."""
    missing = tesseract_ready()
    if missing is not None:
        raise OcrError(f"{path}: {missing}")
    try:
        done = subprocess.run(
            ["tesseract", path, "stdout", "-l", "deu"],
            capture_output=True,
            timeout=PAGE_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise OcrError(f"{path}: tesseract took longer than {PAGE_TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrError(
            f"{path}: tesseract could not read it ({message[-1] if message else 'no message'})"
        )
    return done.stdout.decode("utf-8", "replace")
