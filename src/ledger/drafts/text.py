"""Reading a source document as numbered lines: text files, PDF text layers, scans via OCR."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ledger.drafts import ocr
from ledger.drafts.inputs import DraftInputError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"})
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"GIF8")


@dataclass(frozen=True)
class Source:
    """A document as lines of text; `lines[0]` is line 1 of the evidence."""

    path: str
    lines: tuple[str, ...]
    kind: str  # text, pdf or ocr

    def line(self, number: int) -> str:
        """The text of line `number` (1-based)."""
        return self.lines[number - 1]


def read_source(path: str) -> Source:
    """Reads `path` by its content: PDF, image (OCR) or text in UTF-8 or Windows-1252."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except IsADirectoryError:
        raise DraftInputError(f"{path}: is a directory, not a document") from None
    except OSError as exc:
        raise DraftInputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if data.startswith(b"%PDF-") or file.suffix.lower() == ".pdf":
        from ledger.drafts.pdf import pdf_text

        text, kind = pdf_text(path, data)
    elif file.suffix.lower() in IMAGE_SUFFIXES or data.startswith(IMAGE_MAGIC):
        text, kind = ocr.image_text(path), "ocr"
    else:
        text, kind = decode_text(path, data), "text"
    return Source(path, tuple(clean_line(line) for line in text.splitlines()), kind)


def decode_text(path: str, data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; binary data is refused."""
    if b"\x00" in data[:4096]:
        raise DraftInputError(f"{path}: not a text, PDF or image file (binary content)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise DraftInputError(
            f"{path}: neither UTF-8 nor Windows-1252 text (undecodable bytes)"
        ) from None


def clean_line(line: str) -> str:
    """A line without trailing blanks, with non-breaking and odd spaces as plain spaces."""
    return line.replace("\u00a0", " ").replace("\u202f", " ").replace("\t", " ").rstrip()
