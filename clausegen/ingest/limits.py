"""The safety bounds of ingestion, and the small helpers its error messages share."""

from __future__ import annotations

import os
from dataclasses import dataclass


MB = 1024 * 1024
OCR_MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class Limits:
    """Safety bounds applied while ingesting one file.

    max_file_bytes: largest input accepted, checked before the file is read (50 MB).
    max_unzipped_bytes: largest declared inflated size of a DOCX, for any one part and for all parts together; for a
      PDF, the most bytes its streams may decode to, all streams together (200 MB).
    max_part_ratio: largest compression ratio (inflated / compressed) of a zip part bigger than 1 MB (200:1).
    max_zip_entries: most entries a DOCX zip may list (10,000).
    max_pdf_pages: most pages a PDF may have; a longer PDF is refused, never silently truncated (2,000).
    max_xml_depth: deepest element nesting accepted in a DOCX XML part (200).
    max_pdf_page_objects: most characters and shapes one PDF page may draw (100,000; dense legal pages draw ~10,000).
    max_pdf_forms: most form XObjects one PDF page may draw, nested ones included (1,000).
    max_pdf_token_bytes: longest single token (string, name, number) in a PDF (256 KB); pdfminer builds tokens in
      quadratic time.
    max_pdf_seconds: longest time spent reading one PDF's text layer (120 s).
    ocr: which PDF pages are read by OCR: "auto" (pages that show a scanned image and carry no more than a stamp,
      a cover line or a Bates number of text), "always" (every page) or "never".
    max_ocr_pages: most pages of one PDF that OCR may read; a longer scan is refused, never truncated (500).
    max_ocr_page_seconds: longest time OCR may spend on one page (60 s).
    max_ocr_seconds: longest time OCR may spend on one document (1,200 s).

    `Limits.from_env()` (what `ingest` and `ingest_bytes` use when no Limits is passed) takes each field from the
    environment variable CLAUSEGEN_<FIELD NAME IN CAPITALS> when it is set, e.g. CLAUSEGEN_MAX_PDF_PAGES=5000.
    """

    max_file_bytes: int = 50 * MB
    max_unzipped_bytes: int = 200 * MB
    max_part_ratio: int = 200
    max_zip_entries: int = 10_000
    max_pdf_pages: int = 2000
    max_xml_depth: int = 200
    max_pdf_page_objects: int = 100_000
    max_pdf_forms: int = 1000
    max_pdf_token_bytes: int = 256 * 1024
    max_pdf_seconds: float = 120.0
    ocr: str = "auto"
    max_ocr_pages: int = 500
    max_ocr_page_seconds: float = 60.0
    max_ocr_seconds: float = 1200.0

    @classmethod
    def from_env(cls, environ=None) -> "Limits":
        """Return the default limits with every CLAUSEGEN_<FIELD> environment variable applied."""
        from dataclasses import fields

        from clausegen.errors import ClausegenError

        environ = os.environ if environ is None else environ
        values = {}
        for item in fields(cls):
            name = f"CLAUSEGEN_{item.name.upper()}"
            raw = environ.get(name)
            if raw is None or not raw.strip():
                continue
            if item.type in (str, "str"):
                value = raw.strip().lower()
                if value not in OCR_MODES:
                    raise ClausegenError(f"{name}: expected one of {', '.join(OCR_MODES)}, got {raw.strip()!r}")
                values[item.name] = value
                continue
            kind = float if item.type in (float, "float") else int
            try:
                value = kind(raw.strip().replace("_", ""))
            except ValueError:
                value = None
            if value is None or not value > 0 or value != value or value == float("inf"):
                raise ClausegenError(f"{name}: expected a positive {'number' if kind is float else 'whole number'}, "
                                     f"got {raw.strip()!r}")
            values[item.name] = value
        return cls(**values) if values else DEFAULT_LIMITS


DEFAULT_LIMITS = Limits()

# Ratios are only meaningful for big parts: a 2 KB styles part may well compress 300:1.
_RATIO_FLOOR_BYTES = 1 * MB


def _size(n: int) -> str:
    """Return a byte count for messages ("50 MB", "3.2 MB", "900 bytes")."""
    if n >= MB:
        return f"{n // MB} MB" if n % MB == 0 else f"{n / MB:.1f} MB"
    return f"{n} bytes"


def _one_line(exc: BaseException) -> str:
    """Return the first line of an exception's message, shortened."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    return text if len(text) <= 200 else text[:197] + "..."
