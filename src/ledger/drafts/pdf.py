"""The text of a PDF: its text layer (pypdf), or OCR of its page images when it is a scan."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from ledger.drafts import ocr
from ledger.drafts.inputs import MIN_TEXT_PER_PAGE, DraftInputError

# Where pypdf meets a damaged file it may raise plain Python errors as well as its own.
BROKEN = (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError)


def pdf_text(path: str, data: bytes) -> tuple[str, str]:
    """The text of the PDF and how it was read: ("pdf") from its layer, ("ocr") from a scan."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DraftInputError(f"{path}: the PDF is encrypted with a password")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DraftInputError:
        raise
    except BROKEN as exc:
        raise DraftInputError(f"{path}: not a readable PDF ({exc})") from None
    if not pages:
        raise DraftInputError(f"{path}: the PDF has no pages")
    visible = sum(len("".join(page.split())) for page in pages)
    if visible >= MIN_TEXT_PER_PAGE * len(pages):
        return "\n".join(pages), "pdf"
    return scanned_text(path, reader), "ocr"


def scanned_text(path: str, reader: PdfReader) -> str:
    """OCR of each page: rendered by pdftoppm where installed, else its embedded JPEG images."""
    missing = ocr.tesseract_ready()
    if missing is not None:
        raise ocr.OcrError(f"{path}: the PDF has no text layer (a scan?); {missing}")
    texts: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ledger-draft-") as scratch:
        if shutil.which("pdftoppm"):
            pages = rendered_pages(path, Path(scratch))
        else:
            pages = embedded_jpegs(path, reader, Path(scratch))
        texts = [ocr.image_text(str(page)) for page in pages]
    return "\n".join(texts)


def rendered_pages(path: str, scratch: Path) -> list[Path]:
    """The pages as 300 dpi grey PNGs (poppler's pdftoppm)."""
    done = subprocess.run(
        ["pdftoppm", "-r", "300", "-gray", "-png", path, str(scratch / "page")],
        capture_output=True,
        timeout=ocr.PAGE_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise DraftInputError(f"{path}: pdftoppm cannot render the PDF's pages")
    return sorted(scratch.glob("page*.png"))


def embedded_jpegs(path: str, reader: PdfReader, scratch: Path) -> list[Path]:
    """The JPEG (DCTDecode) images of each page, which tesseract reads as they are."""
    files: list[Path] = []
    try:
        for number, page in enumerate(reader.pages, start=1):
            resources = page.get("/Resources")
            xobjects = resources.get_object().get("/XObject") if resources else None
            for index, ref in enumerate((xobjects.get_object() if xobjects else {}).values()):
                image = ref.get_object()
                if image.get("/Subtype") != "/Image" or image.get("/Filter") != "/DCTDecode":
                    continue
                file = scratch / f"page{number:04}-{index}.jpg"
                file.write_bytes(image._data)
                files.append(file)
    except BROKEN as exc:
        raise DraftInputError(f"{path}: the PDF's page images cannot be read ({exc})") from None
    if not files:
        raise DraftInputError(
            f"{path}: the PDF has no text layer and no JPEG page images; rendering its pages "
            "for OCR needs pdftoppm (Debian: apt-get install poppler-utils)"
        )
    return files
