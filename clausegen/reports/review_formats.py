"""Render a Review as text (a terminal table), JSON (the stable contract), Markdown or self-contained HTML."""

from __future__ import annotations

import html
import io
import json
import os
import shutil
import sys

from clausegen.model import Review

STATUS_STYLE = {"present": "green", "partial": "yellow", "missing": "red", "error": "magenta"}
STATUS_COLOUR = {"present": "#1e7b34", "partial": "#8a5a00", "missing": "#c53030", "error": "#4a5568"}
QUOTE_CHARS = 160


def render_review(review: Review, fmt: str) -> str:
    """Return the review in fmt: text, json, markdown or html."""
    if fmt == "json":
        return json.dumps(review.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return markdown(review)
    if fmt == "html":
        return html_page(review)
    return text(review)


def short(quote: str, limit: int = QUOTE_CHARS) -> str:
    """Return a quote on one line, cut to limit characters."""
    quote = " ".join(quote.split())
    return quote if len(quote) <= limit else quote[: limit - 1].rstrip() + "…"


def md_cell(value: str) -> str:
    """Return text safe inside a Markdown table cell (no pipes, no line breaks)."""
    return " ".join(str(value).split()).replace("|", "\\|")


def cite(evidence) -> str:
    """Return where a quote is, in words: its clause and, for PDF and scanned sources, its page."""
    place = f"clause {evidence.section}" if evidence.section else "no clause number"
    return f"{place}, page {evidence.page}" if evidence.page else place  # pages: PDF and OCR'd sources only


def missing_required(review: Review) -> list[str]:
    """Return the ids of required safeguards that are missing."""
    return [f.safeguard for f in review.findings if f.required and f.status == "missing"]


def text(review: Review) -> str:
    """Return a readable table for the terminal (colour only when writing to a terminal is not our job here)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    width = max(100, min(shutil.get_terminal_size((140, 24)).columns, 180))
    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ  # colours on a terminal, plain text in a pipe
    # markup=False: file names and party names come from the contract and are text, never rich markup.
    console = Console(file=buffer, width=width, force_terminal=colour, color_system="standard" if colour else None,
                      highlight=False, markup=False)
    console.print(f"Review: {review.document}  (detected type: {review.doc_type})")
    parties = review.parties or {}
    if parties.get("supplier") or parties.get("recipient"):
        console.print(f"Supplier: {parties.get('supplier') or '?'}   Recipient: {parties.get('recipient') or '?'}")
    table = Table("safeguard", "req.", "status", "score", "where", "evidence / what is missing", show_lines=True)
    for f in review.findings:
        where = f.evidence[0].section if f.evidence else ""
        if f.evidence:
            detail = "“" + short(f.evidence[0].text) + "”"
            if f.missing_elements:
                detail += "\nmissing: " + ", ".join(f.missing_elements)
        else:
            detail = f.explanation
        status = Text(f.status.upper() if f.required else f.status, style=STATUS_STYLE[f.status])
        table.add_row(f.safeguard, "yes" if f.required else "", status, f"{f.score:.2f}", Text(where),
                      Text(detail))
    console.print(table)
    gaps = missing_required(review)
    console.print(f"Missing required safeguards: {', '.join(gaps) if gaps else 'none'}")
    for warning in review.warnings:
        console.print(f"warning: {warning}")
    for error in review.errors:
        console.print(f"error: {error}")
    return buffer.getvalue()


def markdown(review: Review) -> str:
    """Return the review as Markdown with one section per safeguard."""
    out = [f"# Review: {review.document}", "", f"Detected document type: **{review.doc_type}**", ""]
    gaps = missing_required(review)
    out += [f"Missing required safeguards: {', '.join(f'`{g}`' for g in gaps) if gaps else 'none'}", ""]
    out += ["| safeguard | required | status | score | where |", "|---|---|---|---|---|"]
    for f in review.findings:
        where = md_cell(f.evidence[0].section) if f.evidence else ""
        out.append(f"| `{f.safeguard}` | {'yes' if f.required else 'no'} | {f.status} | {f.score:.2f} | {where} |")
    for f in review.findings:
        out += ["", f"## {f.safeguard}: {f.status}", "", f.explanation]
        if f.missing_elements:
            out += ["", "Missing elements: " + ", ".join(f.missing_elements)]
        for e in f.evidence:
            out += ["", f"> {short(e.text, 600)}", f"> ({cite(e)})"]
    if review.warnings:
        out += ["", "## Warnings", ""] + [f"- {w}" for w in review.warnings]
    if review.errors:
        out += ["", "## Errors", ""] + [f"- {e}" for e in review.errors]
    return "\n".join(out) + "\n"


def html_page(review: Review) -> str:
    """Return a self-contained HTML page (no scripts, no network) with every value escaped."""
    e = html.escape
    rows = []
    for f in review.findings:
        quotes = "".join(f"<blockquote>{e(short(ev.text, 600))}<cite>{e(cite(ev))}</cite></blockquote>"
                         for ev in f.evidence)
        missing = f"<p class=missing>Missing elements: {e(', '.join(f.missing_elements))}</p>" if f.missing_elements else ""
        rows.append(
            f"<tr><td><code>{e(f.safeguard)}</code></td><td>{'yes' if f.required else ''}</td>"
            f"<td><span class=status style='background:{STATUS_COLOUR[f.status]}'>{e(f.status)}</span></td>"
            f"<td>{f.score:.2f}</td><td><p>{e(f.explanation)}</p>{missing}{quotes}</td></tr>"
        )
    gaps = missing_required(review)
    errors = "".join(f"<li>{e(err)}</li>" for err in review.errors)
    warnings = "".join(f"<li>{e(w)}</li>" for w in review.warnings)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Review: {e(review.document)}</title>
<style>
body{{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1a202c}}
table{{border-collapse:collapse;width:100%}} td,th{{border-bottom:1px solid #e2e8f0;padding:.5rem;vertical-align:top;text-align:left}}
.status{{color:#fff;border-radius:4px;padding:.1rem .5rem;font-weight:600}}
blockquote{{margin:.4rem 0;padding:.3rem .7rem;border-left:3px solid #a0aec0;background:#f7fafc}}
cite{{display:block;color:#718096;font-size:12px}} .missing{{color:#c53030}}
</style></head><body>
<h1>Review: {e(review.document)}</h1>
<p>Detected document type: <strong>{e(review.doc_type)}</strong>.
Missing required safeguards: <strong>{e(', '.join(gaps)) if gaps else 'none'}</strong>.</p>
<table><thead><tr><th>safeguard</th><th>required</th><th>status</th><th>score</th><th>explanation and evidence</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
{f'<h2>Warnings</h2><ul>{warnings}</ul>' if warnings else ''}
{f'<h2>Errors</h2><ul>{errors}</ul>' if errors else ''}
</body></html>
"""
