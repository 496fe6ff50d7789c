#!/usr/bin/env python3
"""Make scanned copies of the sample contracts: page images with scan damage, packaged as image-only PDFs.

Each page of a sample's .txt is typeset on a white page (Pillow's own scalable font, so every machine draws the
same pages), then damaged the way a scanner and a fax damage paper: a resolution of 150-300 dpi, a slight skew, the
page fed sideways or upside down, speckle noise, a "RECEIVED" stamp and a signature, JPEG compression. The pages
are saved as a PDF with no text layer. Nothing here uses clausegen: the OCR benchmark and the tests compare what
clausegen reads from these PDFs with the source text.

Usage (from the repository root; needs Pillow and numpy):
    .venv/bin/python contract_samples/scans/build.py OUTDIR                  # every damage of the default samples
    .venv/bin/python contract_samples/scans/build.py OUTDIR --damage skew2 NAME ...
"""

from __future__ import annotations

import argparse
import io
import math
import random
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONTRACTS = HERE.parent / "contracts"
SAMPLES = ["strong_integrator_all_present", "weak_purchase_almost_all_missing", "reseller_with_flowdown"]


@dataclass(frozen=True)
class Damage:
    """How one scan is damaged."""

    dpi: int = 300
    skew: float = 0.0  # degrees, counter-clockwise, small
    turn: int = 0  # degrees the page was fed turned (0, 90, 180, 270), counter-clockwise
    noise: float = 0.0  # share of pixels flipped to black or white
    stamp: bool = False  # a "RECEIVED" stamp on page 1 and a signature on the last page
    jpeg: int = 0  # JPEG quality the page went through (0: none)


DAMAGES = {
    "clean300": Damage(),
    "skew2-200": Damage(dpi=200, skew=1.8, noise=0.002, jpeg=60),
    "skewneg-150": Damage(dpi=150, skew=-1.2, noise=0.001, jpeg=70),
    "turn90-200": Damage(dpi=200, turn=90, skew=0.6, jpeg=70),
    "turn180-300": Damage(dpi=300, turn=180, noise=0.002, stamp=True, jpeg=50),
    "stamp-250": Damage(dpi=250, skew=-0.7, noise=0.003, stamp=True, jpeg=40),
}


def pages_of(text: str, lines_per_page: int = 40, width: int = 88) -> list[list[str]]:
    """Return the text wrapped into page lines: paragraphs (one per source line) separated by a blank line."""
    lines: list[str] = []
    for paragraph in text.splitlines():
        if not paragraph.strip():
            continue
        lines.extend(textwrap.wrap(paragraph.strip(), width) or [""])
        lines.append("")
    pages = [lines[i:i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    return [page for page in pages if any(page)]


def typeset(lines: list[str], number: int, total: int, dpi: int):
    """Return one clean letter-size page (grey image) showing the lines and a "Page N of M" footer."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", (int(8.5 * dpi), 11 * dpi), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=max(8, round(10.5 / 72 * dpi)))
    step = round(font.size * 1.45)
    x, y = dpi, dpi
    for line in lines:
        draw.text((x, y), line, font=font, fill=20)
        y += step
    footer = f"Page {number} of {total}"
    draw.text(((page.width - draw.textlength(footer, font=font)) / 2, page.height - 0.6 * dpi), footer, font=font,
              fill=20)
    return page


def damage(page, spec: Damage, rng: random.Random, first: bool, last: bool):
    """Return the page as the scanner saw it."""
    import numpy as np
    from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

    dpi = spec.dpi
    if spec.stamp and first:  # in the top margin, as a mail room stamps a page
        stamp = Image.new("L", (int(2.2 * dpi), int(0.62 * dpi)), 255)
        draw = ImageDraw.Draw(stamp)
        draw.rectangle((4, 4, stamp.width - 5, stamp.height - 5), outline=90, width=max(2, dpi // 60))
        font = ImageFont.load_default(size=round(12 / 72 * dpi))
        draw.text((0.12 * dpi, 0.06 * dpi), "RECEIVED", font=font, fill=90)
        draw.text((0.12 * dpi, 0.32 * dpi), "03 MAR 2025", font=font, fill=90)
        stamp = stamp.rotate(4, expand=True, fillcolor=255)
        x, y = int(5.6 * dpi), int(0.08 * dpi)
        below = page.crop((x, y, x + stamp.width, y + stamp.height))
        page.paste(ImageChops.darker(below, stamp), (x, y))
    if spec.stamp and last:
        draw = ImageDraw.Draw(page)
        base_x, base_y = 1.2 * dpi, page.height - 1.3 * dpi
        points = [(base_x + t * 2.2 * dpi, base_y + 0.12 * dpi * math.sin(t * 19) - 0.2 * dpi * t)
                  for t in (i / 200 for i in range(201))]
        draw.line(points, fill=30, width=max(2, dpi // 100))
    if spec.skew:
        page = page.rotate(spec.skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if spec.turn:
        page = page.rotate(spec.turn, expand=True)
    page = page.filter(ImageFilter.GaussianBlur(radius=dpi / 300 * 0.6))
    if spec.noise:
        pixels = np.asarray(page).copy()
        generator = np.random.default_rng(rng.randrange(2**32))
        flips = generator.random(pixels.shape) < spec.noise
        pixels[flips] = np.where(generator.random(int(flips.sum())) < 0.5, 0, 255)
        page = Image.fromarray(pixels)
    if spec.jpeg:
        buffer = io.BytesIO()
        page.save(buffer, "JPEG", quality=spec.jpeg)
        page = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    return page


def scan_pdf(text: str, spec: Damage, seed: int = 7) -> bytes:
    """Return an image-only PDF of the text, typeset and damaged as `spec` says."""
    rng = random.Random(seed)
    pages = pages_of(text)
    images = [damage(typeset(lines, n, len(pages), spec.dpi), spec, rng, n == 1, n == len(pages))
              for n, lines in enumerate(pages, start=1)]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=float(spec.dpi), quality=80)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("names", nargs="*", help=f"samples in contract_samples/contracts (default: {' '.join(SAMPLES)})")
    parser.add_argument("--damage", action="append", choices=sorted(DAMAGES), help="default: all")
    args = parser.parse_intermixed_args(argv)
    args.outdir.mkdir(parents=True, exist_ok=True)
    for name in args.names or SAMPLES:
        text = (CONTRACTS / f"{name}.txt").read_text(encoding="utf-8")
        for key in args.damage or sorted(DAMAGES):
            path = args.outdir / f"{name}.{key}.pdf"
            path.write_bytes(scan_pdf(text, DAMAGES[key]))
            print(f"{path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
