"""OCR of scanned PDF pages: PDFium renders each page, which is turned upright and deskewed, then Tesseract reads it.

Tesseract is driven through pytesseract (one `tesseract` process per page, with a timeout); OCRmyPDF would rebuild
the whole PDF with a text layer, which this reader does not need and which brings Ghostscript along. Pages are
rendered at 300 dpi in grey and cleared of speckle (a 3-pixel median filter); orientation is checked with Tesseract's OSD only when the upright reading is poor, and
small skew is measured on a downscaled copy by projection profile (the angle at which ink rows are sharpest).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass

from clausegen.errors import CorruptFileError, IngestError, UnsafeFileError
from clausegen.ingest.limits import Limits, _one_line
from clausegen.ingest.pagelines import PageLine

MISSING_TESSERACT = "scanned PDF: OCR needs tesseract (apt-get install tesseract-ocr)"
UNRELIABLE_CONFIDENCE = 60.0  # a page whose mean word confidence is below this is listed as unreliable
RENDER_DPI = 300
_CONFIG = "--psm 3 -c tessedit_do_invert=0"  # automatic layout; no second pass looking for white-on-black text
_RETRY_BELOW = 70.0  # an upright reading below this mean confidence (or with few words) asks OSD for the rotation
_MAX_SKEW = 5.0  # degrees searched either way when deskewing
# Tesseract's OpenMP threads fight each other when the audit runs one OCR per core (4-5x slower on 2 cores).
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@dataclass
class OcrPage:
    """What OCR read on one page."""

    number: int  # 1-based
    lines: list[PageLine]  # in reading order
    confidences: list[float]  # per word, 0-100
    rotation: int  # degrees the page image was turned (clockwise) to be upright
    skew: float  # degrees of small rotation corrected

    @property
    def confidence(self) -> float | None:
        """Return the mean word confidence, or None when no word was read."""
        return sum(self.confidences) / len(self.confidences) if self.confidences else None


def tesseract_available() -> bool:
    """Return True when the tesseract program can be run."""
    import pytesseract

    return shutil.which(pytesseract.pytesseract.tesseract_cmd) is not None


def ocr_pages(data: bytes, name: str, numbers: list[int], limits: Limits) -> list[OcrPage]:
    """Return the OCR reading of the given pages (1-based) of a PDF, within the OCR limits."""
    if not tesseract_available():
        raise IngestError(f"{name}: {MISSING_TESSERACT}")
    if len(numbers) > limits.max_ocr_pages:
        raise UnsafeFileError(f"{name}: too many pages to OCR ({len(numbers)} > {limits.max_ocr_pages} limit)")
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise CorruptFileError(f"{name}: cannot render PDF pages for OCR ({_one_line(exc)})") from None
    deadline = time.monotonic() + limits.max_ocr_seconds
    pages = []
    try:
        for number in numbers:
            left = deadline - time.monotonic()
            if left <= 0:
                raise UnsafeFileError(f"{name}: OCR takes too long (more than {limits.max_ocr_seconds:g} s limit)")
            page = pdf[number - 1]
            try:
                image = page.render(scale=RENDER_DPI / 72, grayscale=True).to_pil()
            finally:
                page.close()
            budget = min(limits.max_ocr_page_seconds, left)
            try:
                pages.append(read_image(image, number, name, time.monotonic() + budget))
            except _TimedOut:
                if budget < limits.max_ocr_page_seconds:
                    raise UnsafeFileError(f"{name}: OCR takes too long (more than {limits.max_ocr_seconds:g} s "
                                          "limit)") from None
                raise UnsafeFileError(f"{name}: OCR of page {number} takes too long (more than "
                                      f"{limits.max_ocr_page_seconds:g} s limit)") from None
    finally:
        pdf.close()
    return pages


class _TimedOut(Exception):
    """Tesseract did not finish before the page's deadline."""


def read_image(image, number: int, name: str, deadline: float) -> OcrPage:
    """Return what Tesseract reads on one page image, turned upright and deskewed first, by `deadline`
    (time.monotonic()); raise _TimedOut past it."""
    from PIL import ImageFilter

    image = image.convert("L").filter(ImageFilter.MedianFilter(3))  # scan speckle costs Tesseract ~10 points
    skew = skew_angle(image)
    upright = _rotate(image, skew)
    page = _tesseract(upright, number, name, deadline)
    if page.confidence is None or page.confidence < _RETRY_BELOW or len(page.confidences) < 20:
        rotation = _orientation(image, deadline)
        if rotation:
            turned = image.rotate(-rotation, expand=True, fillcolor=255)
            angle = skew_angle(turned)
            other = _tesseract(_rotate(turned, angle), number, name, deadline)
            if _quality(other) > _quality(page):
                other.rotation, other.skew = rotation, angle
                return other
    page.skew = skew
    return page


def _quality(page: OcrPage) -> float:
    """Return how good a reading is: confident words, counted."""
    return sum(page.confidences)


def _rotate(image, angle: float):
    """Return the image turned by `angle` degrees counter-clockwise, the new corners white."""
    if abs(angle) < 0.2:
        return image
    from PIL import Image

    return image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def skew_angle(image) -> float:
    """Return the counter-clockwise rotation (degrees) that makes the text lines of a page image horizontal.

    The ink of each row is summed on a copy about 800 pixels wide; the angle whose row sums change most sharply
    from row to row is the one at which lines and gaps alternate cleanly."""
    import numpy as np
    from PIL import Image

    small = image.copy()
    small.thumbnail((800, 800))
    ink = Image.fromarray(((np.asarray(small) < 160) * 255).astype(np.uint8))
    if not np.asarray(ink).any():
        return 0.0

    def sharpness(angle: float) -> float:
        rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST), dtype=np.float64).sum(axis=1)
        return float(np.square(np.diff(rows)).sum())

    coarse = max(np.arange(-_MAX_SKEW, _MAX_SKEW + 0.01, 0.5), key=sharpness)
    fine = max(np.arange(coarse - 0.4, coarse + 0.41, 0.1), key=sharpness)
    return round(float(fine), 1)


def _seconds_left(deadline: float) -> float:
    """Return the seconds left before `deadline`; raise _TimedOut when none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise _TimedOut
    return left


def _orientation(image, deadline: float) -> int:
    """Return the clockwise rotation (0, 90, 180, 270) Tesseract's OSD says makes the page upright, 0 when unsure."""
    import pytesseract

    try:
        osd = pytesseract.image_to_osd(image, config="--psm 0 -c min_characters_to_try=5",
                                       timeout=_seconds_left(deadline), output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractError:
        return 0  # too little text to tell (OSD refuses such pages), or no osd data installed
    except RuntimeError:  # pytesseract's timeout
        raise _TimedOut from None
    # OSD's confidence is often below 1 on a correct answer; read_image keeps the turned reading only when better.
    return int(osd.get("rotate", 0)) % 360


def _tesseract(image, number: int, name: str, deadline: float) -> OcrPage:
    """Return Tesseract's words of one upright page, grouped into its lines and paragraphs."""
    import pytesseract

    try:
        data = pytesseract.image_to_data(image, lang="eng", config=_CONFIG, timeout=_seconds_left(deadline),
                                         output_type=pytesseract.Output.DICT)
    except RuntimeError:  # pytesseract's timeout
        raise _TimedOut from None
    except pytesseract.TesseractError as exc:
        raise IngestError(f"{name}: OCR failed on page {number} ({_one_line(exc.message or exc)})") from None
    except OSError as exc:
        raise IngestError(f"{name}: OCR failed on page {number} ({exc.strerror or type(exc).__name__})") from None
    height = image.height
    lines: dict[tuple[int, int, int], list] = {}
    confidences = []
    for i, word in enumerate(data["text"]):
        word = (word or "").strip()
        confidence = float(data["conf"][i])
        if not word or confidence < 0:
            continue
        confidences.append(confidence)
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        left, right = data["left"][i], data["left"][i] + data["width"][i]
        entry = lines.setdefault(key, [[], data["top"][i], left, right])
        entry[0].append(word)
        entry[1:] = min(entry[1], data["top"][i]), min(entry[2], left), max(entry[3], right)
    out = []
    previous = None
    points = 72 / RENDER_DPI  # page images are rendered at RENDER_DPI; positions are compared in points
    for key, (words, top, left, right) in lines.items():  # dicts keep Tesseract's reading order
        out.append(PageLine(" ".join(words), float(height - top), key[:2] != previous, left * points, right * points))
        previous = key[:2]
    return OcrPage(number=number, lines=out, confidences=confidences, rotation=0, skew=0.0)


def summary(pages: list[OcrPage]) -> tuple[dict, list[str]]:
    """Return the review JSON's "ocr" object and the warnings for the OCR'd pages."""
    words = [c for page in pages for c in page.confidences]
    mean = round(sum(words) / len(words), 1) if words else 0.0
    unreliable = [p.number for p in pages if p.confidence is None or p.confidence < UNRELIABLE_CONFIDENCE]
    numbers = [p.number for p in pages]
    warnings = [f"{_pages(numbers)} read by OCR (mean word confidence {mean:.0f}%)"]
    if unreliable:
        warnings.append(f"OCR unreliable on {_pages(unreliable)} (confidence below {UNRELIABLE_CONFIDENCE:.0f}%): "
                        "check the text against the scan")
    return {"pages": numbers, "mean_confidence": mean, "unreliable_pages": unreliable}, warnings


def _pages(numbers: list[int]) -> str:
    """Return page numbers as "page 3" or "pages 1-4, 7"."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    text = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)
    return f"page {text}" if len(numbers) == 1 else f"pages {text}"
