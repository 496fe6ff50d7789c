"""The audit's tables: summary.csv, evidence.csv, skipped.csv and summary.xlsx (one row per document, worst first).

An error row (a file that could not be read or reviewed) shows "error" in every safeguard column and counts
neither as present, partial nor missing; the tables count error rows apart (docs/architecture.md).
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from clausegen.model import SAFEGUARD_IDS

CSV_COLUMNS = ["document", "doc_type", *SAFEGUARD_IDS, "present", "partial", "missing", "missing_required",
               "missing_required_ids", "error", "path", "sha256", "duplicates"]
EVIDENCE_COLUMNS = ["document", "safeguard", "safeguard_title", "status", "required", "clause", "page", "quote",
                    "explanation", "missing_elements"]
# The XLSX's readable headers for the same columns (the safeguard titles come from the library).
XLSX_HEADERS = {"document": "Document", "doc_type": "Type", "present": "Present", "partial": "Partial",
                "missing": "Missing", "missing_required": "Missing where required",
                "missing_required_ids": "Required safeguards missing", "error": "Could not be reviewed because",
                "path": "Path", "sha256": "SHA-256", "duplicates": "Same content also at"}
# The XLSX's column order: what prints (up to the error reason) first, then the path, hash and duplicates.
XLSX_ORDER = ["document", "doc_type", *SAFEGUARD_IDS, "present", "partial", "missing", "missing_required", "error",
              "missing_required_ids", "path", "sha256", "duplicates"]
EVIDENCE_HEADERS = ["Document", "Safeguard", "Status", "Required", "Clause", "Page", "Quote", "Explanation",
                    "Missing elements"]
# Fill and text colours; every pair has at least 4.5:1 contrast (WCAG 2.1 AA, checked in tests/test_reports.py).
XLSX_COLOURS = {"present": ("C6EFCE", "000000"), "partial": ("FFEB9C", "000000"), "missing": ("FFC7CE", "000000"),
                "required": ("B42318", "FFFFFF"), "error": ("D9D9D9", "000000"), "header": ("1F2937", "FFFFFF")}
QUOTE_CHARS = 1000  # a spreadsheet cell holds 32,767 characters; a quote this long is read in results.jsonl


def is_error(review: dict[str, Any]) -> bool:
    """Return True for an error row: a document that could not be read or reviewed."""
    return bool(review.get("errors"))


def table_row(row: dict[str, Any]) -> list[Any]:
    """Return one document's values in CSV_COLUMNS order."""
    review, counts = row["review"], row["counts"]
    error = is_error(review)
    status = {s["id"]: s["status"] for s in review.get("safeguards") or []}
    errors = review.get("errors") or []
    return [review["document"], review.get("doc_type", ""),
            *["error" if error else status.get(sid, "missing") for sid in SAFEGUARD_IDS],
            counts["present"], counts["partial"], counts["missing"], counts["missing_required"],
            " ".join(counts["missing_required_ids"]), errors[0] if errors else "", row["path"], row["sha256"] or "",
            " | ".join(row["duplicates"])]


def evidence_rows(row: dict[str, Any], info: dict[str, dict[str, Any]]) -> list[list[Any]]:
    """Return one document's evidence lines in EVIDENCE_COLUMNS order: one per quote, one per safeguard without."""
    review = row["review"]
    error = is_error(review)
    out = []
    by_id = {s["id"]: s for s in review.get("safeguards") or []}
    for sid in SAFEGUARD_IDS:
        s = by_id.get(sid) or {"status": "missing"}
        elements = (info.get(sid) or {}).get("elements") or {}
        missing = "; ".join(elements.get(m, m) for m in s.get("missing_elements") or [])
        head = [review["document"], sid, (info.get(sid) or {}).get("title", sid), "error" if error else s["status"],
                "yes" if s.get("required") else ""]
        tail = [s.get("explanation", ""), missing]
        quotes = s.get("evidence") or []
        for e in quotes:
            out.append(head + [e.get("section") or "", e.get("page") or "", cut(e.get("text", "")), *tail])
        if not quotes:
            out.append(head + ["", "", "", *tail])
    return out


def cut(text: str, limit: int = QUOTE_CHARS) -> str:
    """Return text on one line, cut to limit characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def csv_safe(value: Any) -> Any:
    """Defuse spreadsheet formulas in text cells (a file may be named '=HYPERLINK(...).pdf')."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_csv(path: Path, header: list[str], lines, opener: Callable) -> Path:
    """Write a CSV through opener (an atomic file), every text cell defused."""
    with opener(path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for line in lines:
            writer.writerow([csv_safe(v) for v in line])
    return path


def write_tables(outdir: Path, rows, skipped, info, meta, opener: Callable) -> list[Path]:
    """Write summary.csv, evidence.csv, summary.xlsx and skipped.csv; return their paths."""
    return [write_csv(outdir / "summary.csv", CSV_COLUMNS, (table_row(r) for r in rows), opener),
            write_csv(outdir / "evidence.csv", EVIDENCE_COLUMNS,
                      (line for r in rows for line in evidence_rows(r, info)), opener),
            write_xlsx(outdir / "summary.xlsx", rows, skipped, info, meta),
            write_csv(outdir / "skipped.csv", ["path", "reason"], ([s.rel, s.reason] for s in skipped), opener)]


def totals(rows) -> dict[str, Counter]:
    """Return per safeguard the counts over reviewed documents (present, partial, missing, required_missing)."""
    out = {sid: Counter() for sid in SAFEGUARD_IDS}
    for r in rows:
        if is_error(r["review"]):
            continue
        for s in r["review"].get("safeguards") or []:
            if s["id"] in out:
                out[s["id"]][s["status"]] += 1
                out[s["id"]]["required_missing"] += bool(s.get("required") and s["status"] == "missing")
    return out


class _Cells:
    """Build write-only cells, sharing one style object per combination (openpyxl hashes a style on each set)."""

    def __init__(self):
        from openpyxl.styles import Alignment, Font, PatternFill

        self.fills = {k: PatternFill("solid", start_color=bg, end_color=bg) for k, (bg, _) in XLSX_COLOURS.items()}
        self.fonts = {k: Font(bold=k in ("required", "header"), color=fg) for k, (_, fg) in XLSX_COLOURS.items()}
        self.bold, self.link = Font(bold=True), Font(color="0645AD", underline="single")
        self.center = Alignment(horizontal="center", vertical="top")
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.header_align = Alignment(wrap_text=True, vertical="center")
        self.styles: dict[tuple[int, int, int], Any] = {}

    def __call__(self, ws, value, fill=None, font=None, align=None, link: str | None = None):
        from copy import copy

        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.worksheet.hyperlink import Hyperlink

        formula_like = False
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
            formula_like = value.startswith("=")
        styled = fill is not None or font is not None or align is not None
        if not styled and not formula_like and link is None:
            return value  # a plain value costs the writer less than a cell object
        c = WriteOnlyCell(ws, value=value)
        if formula_like:
            c.data_type = "s"  # text, never a formula
        if link is not None:
            c.hyperlink = Hyperlink(ref="", location=link)
        if styled:
            key = (id(fill), id(font), id(align))
            if key not in self.styles:
                if fill is not None:
                    c.fill = fill
                if font is not None:
                    c.font = font
                if align is not None:
                    c.alignment = align
                self.styles[key] = copy(c._style)
            c._style = copy(self.styles[key])
        return c

    def wrapped(self, ws, value, width: float):
        """Return a top-aligned, wrapped cell for text longer than its column, else the plain value (a styled cell
        costs the writer about ten times more: the Evidence sheet has tens of thousands of lines)."""
        if isinstance(value, str) and len(value) > width:
            return self(ws, value, align=self.wrap)
        return self(ws, value)

    def header(self, ws, names):
        ws.append([self(ws, name, self.fills["header"], self.fonts["header"], self.header_align) for name in names])


def _fit_height(ws, row_no: int, values, widths) -> None:
    """Give a row the height its wrapped text needs (LibreOffice and Excel do not grow rows on opening a file)."""
    lines = max((-(-len(str(v)) // max(1, int(w * 1.1))) for v, w in zip(values, widths) if v not in (None, "")),
                default=1)
    if lines > 1:
        ws.row_dimensions[row_no].height = min(409, 15 * lines)


def _print_setup(ws, last_column: str, last_row: int) -> None:
    """Landscape, fit to one page wide, the header row repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.print_area = f"A1:{last_column}{max(1, last_row)}"
    ws.print_options.gridLines = True


def write_xlsx(path: Path, rows, skipped, info, meta) -> Path:
    """Write summary.xlsx: Contracts (linked to Evidence), Evidence, Safeguards, Skipped and About sheets."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    cell = _Cells()
    titles = {sid: (info.get(sid) or {}).get("title", sid) for sid in SAFEGUARD_IDS}
    evidence = [(r, evidence_rows(r, info)) for r in rows]
    first_line, line_no = {}, 2
    for r, lines in evidence:
        first_line[id(r)] = line_no
        line_no += len(lines)

    ws = wb.create_sheet("Contracts")
    # write-only sheets write their properties with the first row: the print setup goes first; it prints the
    # columns up to the error reason, not the path, hash and duplicates
    _print_setup(ws, get_column_letter(XLSX_ORDER.index("error") + 1), len(rows) + 1)
    ws.freeze_panes = "B2"
    widths = [34, 11] + [12] * len(SAFEGUARD_IDS) + [8, 8, 8, 9, 30, 36, 50, 66, 40]
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[1].height = 80  # five lines: "Reseller and distributor due diligence" in 12 characters
    cell.header(ws, [titles.get(c) or XLSX_HEADERS[c] for c in XLSX_ORDER])
    first_sg = 2
    for row_no, r in enumerate(rows, 2):
        by_name = dict(zip(CSV_COLUMNS, table_row(r)))
        by_name["missing_required_ids"] = "; ".join(titles[s] for s in r["counts"]["missing_required_ids"])
        values = [by_name[c] for c in XLSX_ORDER]
        required = {s["id"] for s in r["review"].get("safeguards") or [] if s.get("required")}
        out = [cell(ws, values[0], None, cell.link, cell.wrap, link=f"Evidence!A{first_line[id(r)]}")]
        for i, value in enumerate(values[1:], 1):
            if first_sg <= i < first_sg + len(SAFEGUARD_IDS):
                sid = SAFEGUARD_IDS[i - first_sg]
                kind = "required" if value == "missing" and sid in required else value
                font = cell.fonts[kind] if kind in ("required", "error") else (cell.bold if sid in required else None)
                out.append(cell(ws, value, cell.fills.get(kind), font, cell.center))
            else:
                out.append(cell.wrapped(ws, value, widths[i]))
        _fit_height(ws, row_no, values[:XLSX_ORDER.index("error") + 1], widths)  # the printed columns
        ws.append(out)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(XLSX_ORDER))}{len(rows) + 1}"

    sheet = wb.create_sheet("Evidence")
    _print_setup(sheet, "I", line_no - 1)
    sheet.freeze_panes = "B2"
    widths = [30, 22, 9, 9, 18, 6, 70, 50, 36]
    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    cell.header(sheet, EVIDENCE_HEADERS)
    row_no = 1
    for r, lines in evidence:
        for line in lines:
            row_no += 1
            _fit_height(sheet, row_no, [line[0], line[2], *line[3:]], widths)
            _, _, title, status, req, clause, page, quote, explanation, missing = line
            kind = "required" if status == "missing" and req else status
            values = [line[0], title, status, req, clause, page, quote, explanation, missing]
            out = [cell.wrapped(sheet, value, width) for value, width in zip(values, widths)]
            out[2] = cell(sheet, status, cell.fills.get(kind),
                          cell.fonts.get(kind) if kind in ("required", "error") else None, cell.center)
            sheet.append(out)
    sheet.auto_filter.ref = f"A1:I{line_no - 1}"

    counts = totals(rows)
    errors = sum(1 for r in rows if is_error(r["review"]))
    sums = wb.create_sheet("Safeguards")
    _print_setup(sums, "G", len(SAFEGUARD_IDS) + 1)
    for letter, width in zip("ABCDEFG", (26, 42, 10, 10, 10, 12, 12)):
        sums.column_dimensions[letter].width = width
    cell.header(sums, ["Safeguard id", "Safeguard", "Present", "Partial", "Missing", "Missing where required",
                       "Not reviewed (errors)"])
    for sid in SAFEGUARD_IDS:
        c = counts[sid]
        sums.append([sid, cell(sums, titles[sid]), c["present"], c["partial"], c["missing"], c["required_missing"],
                     errors])

    skipped_ws = wb.create_sheet("Skipped")
    _print_setup(skipped_ws, "B", len(skipped) + 1)
    skipped_ws.column_dimensions["A"].width = 70
    skipped_ws.column_dimensions["B"].width = 40
    cell.header(skipped_ws, ["Path", "Reason"])
    for item in skipped:
        skipped_ws.append([cell(skipped_ws, item.rel), cell(skipped_ws, item.reason)])

    about = wb.create_sheet("About")
    _print_setup(about, "B", 7)
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 80
    reviewed = len(rows) - errors
    for key, value in (("folder", meta["folder"]), ("generated", meta["generated"]), ("library", meta["library"]),
                       ("tool", meta["tool"]), ("required", meta["required"]),
                       ("documents", f"{len(rows)}: {reviewed} reviewed, {errors} could not be reviewed (errors)"),
                       ("statuses", "present / partial / missing as in docs/safeguards.md; a dark red cell is a "
                                    "required safeguard that is missing; \"error\" marks a document that could not be "
                                    "read or reviewed, counted apart from the statuses")):
        about.append([cell(about, key, None, cell.bold), cell(about, str(value), align=cell.wrap)])

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        wb.save(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
