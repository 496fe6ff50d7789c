"""The audit dashboard: one self-contained HTML file (inline CSS and JS, no network) of contracts x safeguards.

The grid is rendered here, server side, so the file is readable without JavaScript and a headless browser's DOM
holds one <tr class="doc"> per document. The script (dashboard.js) adds sorting, filtering (document type,
safeguard and status, missing-required, errors, free text over names and evidence), totals that follow the
filters, keyboard navigation and the drill-down panel, which it builds from a JSON blob with every evidence quote
and the missing elements. Filter state and the open document live in the URL fragment
(#type=reseller&sg=export_control&st=missing&mr=1&doc=3), so a view can be bookmarked or shared.

Error rows (a non-empty `errors` list) show "error" in every safeguard column and are counted apart from the
present/partial/missing totals, as in the terminal summary and the spreadsheets.
"""

from __future__ import annotations

import html
import json
import os
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from clausegen.model import SAFEGUARD_IDS
from clausegen.reports.tables import is_error, totals

SHORT = {
    "end_use": "End use",
    "export_control": "Export control",
    "data_handling": "Data handling",
    "suspension_termination": "Suspend / terminate",
    "reseller_due_diligence": "Reseller diligence",
    "audit_rights": "Audit rights",
    "misuse_reporting": "Misuse reporting",
    "transfer_restriction": "Transfer restriction",
    "access_control": "Technical control",
    "human_rights": "Human rights",
}
STATUSES = ("missing", "partial", "present", "error")  # index = the status code the script reads
SYMBOL = {"present": "\u2713", "partial": "\u25d0", "missing": "\u2715"}
STATUS_CODE = {name: code for code, name in enumerate(STATUSES)}
PAGE_SIZE = 1000  # rows shown at once: a browser lays out 1,000 rows quickly, 10,000 slowly (hidden rows cost nothing)
QUOTE_CHARS = 1200  # a quote longer than this is cut in the panel (results.jsonl has it in full)
SEPARATORS = "/_- "  # where a name's distinguishing part may start (and at its extension)
BREAK_AFTER = re.compile(r"([/_-])")
MIN_SHARED = 12  # names sharing fewer leading characters are told apart at a glance: nothing is dimmed


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    """Return the text of a file shipped beside this module (dashboard.css, dashboard.js)."""
    return resources.files("clausegen.reports").joinpath(name).read_text(encoding="utf-8")


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _json_for_script(data: Any) -> str:
    """JSON that is safe inside <script>: no '<', '>' or '&' (so no '</script>'), no raw U+2028/U+2029."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _cut(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def distinguishing_starts(names: list[str]) -> dict[str, int]:
    """Return, per name, where the part that tells it from its nearest names in sorted order starts: the start of
    the word (after / _ - or space, or the extension's dot) holding the first character it does not share; 0 when it
    shares little."""
    order = sorted(set(names))
    starts = {}
    for k, name in enumerate(order):
        shared = max((len(os.path.commonprefix([name, order[j]])) for j in (k - 1, k + 1) if 0 <= j < len(order)),
                     default=0)
        shared = min(shared, len(name) - 1)
        dot = name.rfind(".")
        cut = max([name.rfind(sep, 0, shared + 1) for sep in SEPARATORS] + [dot if dot <= shared else -1]) + 1
        starts[name] = cut if shared >= MIN_SHARED else 0
    return starts


def _breakable(text: str) -> str:
    """Return text escaped, with a line-break opportunity after each / _ - (long names wrap between words)."""
    return BREAK_AFTER.sub(r"\1<wbr>", _esc(text))


def _name_html(name: str, start: int) -> str:
    """Return the name with its shared beginning dimmed and its distinguishing part emphasised."""
    if not start:
        return f"<span class='dist'>{_breakable(name)}</span>"
    return f"<span class='pfx'>{_breakable(name[:start])}</span><span class='dist'>{_breakable(name[start:])}</span>"


def _file_uri(path: str) -> str:
    try:
        return Path(path).as_uri() if path and os.path.isabs(path) else ""
    except ValueError:
        return ""


class _Strings:
    """A table of repeated strings (explanations, element ids): rows refer to them by index."""

    def __init__(self):
        self.items: list[str] = []
        self.index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        text = str(text)
        if text not in self.index:
            self.index[text] = len(self.items)
            self.items.append(text)
        return self.index[text]


def cell_status(review: dict[str, Any], safeguard: dict[str, Any]) -> str:
    """Return the status a table shows for one safeguard: "error" throughout an error row."""
    return "error" if is_error(review) else safeguard.get("status", "missing")


def _compact(row: dict[str, Any], strings: _Strings, start: int) -> list[Any]:
    """Return the drill-down data of one row as arrays (the script expands them): [document, doc type, path, file
    URI, sha256, duplicates, errors, warnings, ocr, where the distinguishing part starts, per safeguard [status
    code, required 0/1, explanation index, [[quote, section, page]...], [missing element indexes]]]."""
    review = row["review"]
    by_id = {s["id"]: s for s in review.get("safeguards") or []}
    safeguards = []
    for sid in SAFEGUARD_IDS:
        s = by_id.get(sid, {"status": "missing"})
        safeguards.append([
            STATUS_CODE.get(cell_status(review, s), 0), int(bool(s.get("required"))),
            strings(s.get("explanation", "")),
            [[_cut(e.get("text", ""), QUOTE_CHARS), e.get("section") or "", e.get("page")]
             for e in s.get("evidence") or []],
            [strings(m) for m in s.get("missing_elements") or []],
        ])
    return [review.get("document", ""), review.get("doc_type", ""), row.get("path", ""),
            _file_uri(row.get("path", "")), row.get("sha256") or "", row.get("duplicates", []),
            list(review.get("errors") or []), list(review.get("warnings") or []), review.get("ocr") or None, start,
            safeguards]


def _cards(w, rows, reviewed, errors, skipped, meta):
    with_missing_required = sum(1 for r in reviewed if r["counts"]["missing_required"])
    w("<section class='cards' aria-label='summary of the audit'>")
    for label, value, note, cls in (
        ("Documents", len(rows), f"from {meta.get('files', len(rows))} contract files", ""),
        ("Reviewed", len(reviewed), "read and checked for all ten safeguards", ""),
        ("Errors", len(errors), "could not be read or reviewed: not counted as present, partial or missing",
         "warn" if errors else ""),
        ("Missing a required safeguard", with_missing_required,
         f"{sum(r['counts']['missing_required'] for r in reviewed)} required safeguards missing",
         "bad" if with_missing_required else "good"),
        ("Skipped files", len(skipped), "not contracts or not readable types", ""),
    ):
        w(f"<div class='card {cls}' data-card='{_esc(label.lower())}'><div class='num'>{value}</div>"
          f"<div class='lbl'>{_esc(label)}</div><div class='note'>{_esc(note)}</div></div>")
    w("</section>")


def _toolbar(w, rows, doc_types, titles):
    w("<section class='toolbar' aria-label='filters' role='search'>")
    w("<label>Search <input id='q' type='search' placeholder='name or quoted text' autocomplete='off' "
      "aria-describedby='qhelp'></label><span id='qhelp' class='sr'>searches document names and evidence quotes</span>")
    w("<label>Doc type <select id='type'><option value=''>all</option>")
    for t in doc_types:
        w(f"<option value='{_esc(t)}'>{_esc(t)}</option>")
    w("</select></label>")
    w("<label>Safeguard <select id='sg'><option value=''>any</option>")
    for sid in SAFEGUARD_IDS:
        w(f"<option value='{sid}'>{_esc(titles[sid])}</option>")
    w("</select></label>")
    w("<label>is <select id='st'><option value=''>any status</option><option value='missing'>missing</option>"
      "<option value='partial'>partial</option><option value='present'>present</option>"
      "<option value='notpresent'>not present</option></select></label>")
    w("<label class='check'><input id='mr' type='checkbox'> missing a required safeguard</label>")
    w("<label>Rows <select id='rows'><option value=''>all</option><option value='ok'>reviewed</option>"
      "<option value='err'>errors</option></select></label>")
    w("<button id='reset' type='button'>Reset</button><span id='count' class='count' role='status'></span>")
    w("<span id='pager' class='pager' hidden><button id='prev' type='button' aria-label='previous page'>\u2039</button>"
      "<span id='pageinfo'></span><button id='next' type='button' aria-label='next page'>\u203a</button></span>")
    w("<p class='keys'>Keys: Tab to a document, \u2191 \u2193 move between documents, Enter opens it; in the panel "
      "\u2190 \u2192 previous and next document, Esc closes</p>")
    if len(rows) > PAGE_SIZE:
        w(f"<noscript><p class='count'>Without JavaScript only the first {PAGE_SIZE} of {len(rows)} documents "
          "are listed; results.jsonl and summary.xlsx have all of them.</p></noscript>")
    w("</section>")


def _errors_not_counted(errors: int) -> str:
    return f" ({errors} error{'s' if errors > 1 else ''} not counted)" if errors else ""


def _header(w, titles, descriptions, totals, reviewed, errors):
    w("<thead><tr class='h1'>")
    for key, cls, label, note in (("name", "doc", "Document", ""), ("type", "type", "Type", ""),
                                  ("gaps", "gaps", "Gaps", "missing required, missing, partial")):
        sort = " aria-sort='descending'" if key == "gaps" else ""
        w(f"<th class='{cls} sortable' scope='col' data-sort='{key}'{sort}><button type='button' class='sortbtn'"
          f"{f' title={chr(39)}{note}{chr(39)}' if note else ''}>{label}<span class='arrow' aria-hidden='true'></span>"
          "</button></th>")
    for i, sid in enumerate(SAFEGUARD_IDS):
        w(f"<th class='sg sortable' scope='col' data-sort='s{i}'><button type='button' class='sortbtn' "
          f"title='{_esc(titles[sid])}: {_esc(descriptions[sid])}'>{_esc(SHORT[sid])}"
          "<span class='arrow' aria-hidden='true'></span></button></th>")
    w(f"</tr><tr class='h2'><th class='doc tot' scope='row' colspan='3' id='totlabel'>Totals over {len(reviewed)} "
      f"reviewed documents{_errors_not_counted(len(errors))}</th>")
    n = max(1, len(reviewed))
    for sid in SAFEGUARD_IDS:
        c = totals[sid]
        bar = "".join(f"<i class='{k}' style='width:{100 * c[k] / n:.1f}%'></i>"
                      for k in ("present", "partial", "missing"))
        w(f"<td class='tot sgtot' data-sg='{sid}'><button type='button' class='totbtn' title='list the documents "
          f"missing it'><span class='sr'>{_esc(titles[sid])}: </span><span class='bar' aria-hidden='true'>{bar}</span>"
          f"<span class='nums'><b class='g'>{c['present']}</b><span class='sr'> present, </span>\u00b7<wbr>"
          f"<b class='a'>{c['partial']}</b><span class='sr'> partial, </span>\u00b7<wbr><b class='r'>{c['missing']}</b>"
          "<span class='sr'> missing</span></span></button></td>")
    w("</tr></thead>")


def _row(index: int, row: dict[str, Any], start: int) -> str:
    review, counts = row["review"], row["counts"]
    error = is_error(review)
    by_id = {s["id"]: s for s in review.get("safeguards") or []}
    ranks, cells = [], []
    for sid in SAFEGUARD_IDS:
        s = by_id.get(sid, {"status": "missing"})
        status, required = cell_status(review, s), bool(s.get("required"))
        if error:
            ranks.append("e-")
            cells.append("<td class='c error'>error</td>")
            continue
        ranks.append(str(STATUS_CODE.get(status, 0)) + ("r" if required else "-"))
        cls = f"c {status}" + (" req" if required else "")
        cells.append(f"<td class='{cls}'><span aria-hidden='true'>{SYMBOL[status]}</span>"
                     f"<span class='sr'>{status}{', required' if required else ''}</span></td>")
    doc_type = review.get("doc_type") or "unknown"
    if error:
        gaps = "<span class='badge err'>error</span>"
    else:
        gaps = (f"<span class='gapbox' title='{counts['missing_required']} required safeguards missing; "
                f"{counts['missing']} missing; {counts['partial']} partial'>"
                + (f"<span class='badge req'>{counts['missing_required']} req</span>" if counts["missing_required"]
                   else "<span class='badge none'>0 req</span>")
                + f"<span class='gtext'><b class='r'>{counts['missing']}</b><span aria-hidden='true'>\u2715</span>"
                f"<span class='sr'> missing, </span> <b class='a'>{counts['partial']}</b>"
                f"<span aria-hidden='true'>\u25d0</span><span class='sr'> partial</span></span></span>")
    dup = (f" <span class='dup' title='same bytes also at: {_esc(', '.join(row['duplicates']))}'>"
           f"+{len(row['duplicates'])}<span class='sr'> identical copies</span></span>" if row["duplicates"] else "")
    warn = (" <span class='wchip' title='" + _esc("; ".join(review.get("warnings") or [])) + "'>warnings</span>"
            if review.get("warnings") else "")
    error_text = f"<div class='errline'>{_esc(review['errors'][0])}</div>" if error else ""
    name = review.get("document", "")
    return (f"<tr class='doc{' iserr' if error else ''}' data-i='{index}' data-type='{_esc(doc_type)}' "
            f"data-name='{_esc(name.lower())}' data-mr='{counts['missing_required']}' data-miss='{counts['missing']}' "
            f"data-part='{counts['partial']}' data-err='{int(error)}' data-st='{' '.join(ranks)}'"
            f"{' hidden' if index >= PAGE_SIZE else ''}><th class='doc' scope='row'><button type='button' class='open'>"
            f"{_name_html(name, start)}</button>{dup}{warn}{error_text}</th><td class='type'>{_esc(doc_type)}</td>"
            f"<td class='gaps'>{gaps}</td>{''.join(cells)}</tr>")


def render_dashboard(rows: list[dict[str, Any]], skipped: list[Any], info: dict[str, dict[str, Any]] | None,
                     meta: dict[str, Any]) -> str:
    """Return the dashboard HTML.

    rows: dicts with review (the JSON contract), path, sha256, duplicates, counts, in display order (worst gaps
    first); skipped: objects with rel and reason; info: per safeguard id its title, description and elements
    (element id -> description), as clausegen.audit.library_info returns; meta: folder, generated, library, tool,
    required, files.
    """
    info = info or {}
    titles = {sid: (info.get(sid) or {}).get("title") or SHORT[sid] for sid in SAFEGUARD_IDS}
    descriptions = {sid: (info.get(sid) or {}).get("description", "") for sid in SAFEGUARD_IDS}
    elements = {sid: dict((info.get(sid) or {}).get("elements") or {}) for sid in SAFEGUARD_IDS}
    reviewed = [r for r in rows if not is_error(r["review"])]
    errors = [r for r in rows if is_error(r["review"])]
    starts = distinguishing_starts([r["review"].get("document", "") for r in rows])

    out: list[str] = []
    w = out.append
    w("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>")
    w("<meta name='viewport' content='width=device-width, initial-scale=1'>")
    w("<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "script-src 'unsafe-inline'; img-src data:\">")
    w(f"<title>Contract audit \u2014 {len(rows)} documents</title><style>{asset('dashboard.css')}</style></head><body>")
    w("<header class='top'><div><h1>Contract audit</h1>")
    w(f"<p class='meta'>{_esc(meta.get('folder', ''))} \u00b7 generated {_esc(meta.get('generated', ''))} \u00b7 "
      f"library {_esc(meta.get('library', ''))} \u00b7 clausegen {_esc(meta.get('tool', ''))} \u00b7 "
      f"required safeguards: {_esc(meta.get('required', ''))}</p></div>")
    w("<div class='legend' role='note' aria-label='legend'>"
      "<span class='chip present'>\u2713 present</span><span class='chip partial'>\u25d0 partial</span>"
      "<span class='chip missing'>\u2715 missing</span><span class='chip missing req'>\u2715 missing, required</span>"
      "<span class='chip error'>error: not reviewed</span></div></header>")
    _cards(w, rows, reviewed, errors, skipped, meta)
    _toolbar(w, rows, sorted({r["review"].get("doc_type") or "unknown" for r in rows}), titles)

    w("<main class='gridwrap'><table id='grid' class='grid'><caption class='sr'>Documents by safeguard status, "
      "worst gaps first. Each document name is a button that opens its evidence; the arrow keys move between "
      "documents.</caption>")
    w("<colgroup><col class='w-doc'><col class='w-type'><col class='w-gaps'>" + "<col class='w-sg'>" * 10
      + "</colgroup>")
    _header(w, titles, descriptions, totals(rows), reviewed, errors)
    w("<tbody>")
    for index, row in enumerate(rows):
        w(_row(index, row, starts.get(row["review"].get("document", ""), 0)))
    w("</tbody></table>")
    w("<p id='empty' class='empty' hidden>No document matches these filters.</p></main>")

    w("<section class='lists' aria-label='errors and skipped files'>")
    if errors:
        w(f"<details open><summary>Errors ({len(errors)}): files that could not be reviewed</summary>"
          "<table class='list'>"
          "<tr><th scope='col'>Document</th><th scope='col'>Reason</th></tr>")
        for r in errors:
            w(f"<tr><td>{_esc(r['review'].get('document', ''))}</td><td>{_esc(r['review']['errors'][0])}</td></tr>")
        w("</table></details>")
    w(f"<details{' open' if 0 < len(skipped) <= 50 else ''}><summary>Skipped ({len(skipped)}): files and folders not "
      "reviewed</summary><table class='list'><tr><th scope='col'>Path</th><th scope='col'>Reason</th></tr>")
    for item in skipped:
        w(f"<tr><td>{_esc(item.rel)}</td><td>{_esc(item.reason)}</td></tr>")
    w("</table></details></section>")

    w("<div id='shade' class='shade' hidden></div><div id='drawer' class='drawer' hidden aria-modal='true' "
      "role='dialog' aria-labelledby='dtitle'><div class='dnav'><button id='dprev' type='button'>\u2039 Previous"
      "</button><button id='dnext' type='button'>Next \u203a</button><span id='dpos' class='dpos'></span>"
      "<button id='close' class='close' type='button' aria-label='close (Escape)'>\u2715</button></div>"
      "<div id='dbody'></div></div>")
    strings = _Strings()
    data = {"rows": [_compact(r, strings, starts.get(r["review"].get("document", ""), 0)) for r in rows],
            "str": strings.items,
            "sg": [{"id": sid, "title": titles[sid], "short": SHORT[sid], "desc": descriptions[sid],
                    "el": elements[sid]} for sid in SAFEGUARD_IDS]}
    w(f"<script id='data' type='application/json'>{_json_for_script(data)}</script>")
    w(f"<script>{asset('dashboard.js').replace('PAGE_SIZE_VALUE', str(PAGE_SIZE))}</script></body></html>")
    return "".join(out)
