"""The audit dashboard: one self-contained HTML file (inline CSS and JS, no network) of contracts x safeguards.

The grid is rendered here, server side, so the file is readable without JavaScript and a headless browser's DOM
holds one <tr class="doc"> per document. The script adds sorting, filtering (document type, safeguard and status,
missing-required, errors, free text) and the drill-down drawer, which it builds from a JSON blob with the evidence
quotes and the missing elements. Filter state and the open document live in the URL fragment
(#type=reseller&sg=export_control&st=missing&mr=1&doc=3), so a view can be bookmarked or shared.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from typing import Any

from clausegen.model import SAFEGUARD_IDS

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
SYMBOL = {"present": "\u2713", "partial": "\u25d0", "missing": "\u2715"}
RANK = {"missing": 0, "partial": 1, "present": 2}
STATUS_CODE = {"missing": 0, "partial": 1, "present": 2}
PAGE_SIZE = 1000  # rows shown at once: a browser lays out 1,000 rows quickly, 10,000 slowly (hidden rows cost nothing)


def quote_limits(documents: int) -> tuple[int, int]:
    """Return (quotes per safeguard, characters per quote) shown in the drill-down: fewer and shorter quotes for
    big audits keep the file small (results.jsonl always has every quote in full)."""
    if documents <= 1000:
        return 3, 500
    if documents <= 5000:
        return 2, 300
    return 1, 200


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


def _compact(row: dict[str, Any], strings: _Strings, quotes: int, chars: int) -> list[Any]:
    """Return the drill-down data of one row as arrays (the script expands them): [document, doc type, path,
    sha256, duplicates, errors, per safeguard [status 0/1/2, required 0/1, score, explanation index,
    [[quote, section, start, end]...], quotes left out, [missing element indexes]]]."""
    review = row["review"]
    by_id = {s["id"]: s for s in review.get("safeguards") or []}
    safeguards = []
    for sid in SAFEGUARD_IDS:
        s = by_id.get(sid, {"status": "missing"})
        evidence = s.get("evidence") or []
        safeguards.append([
            STATUS_CODE.get(s.get("status"), 0), int(bool(s.get("required"))), s.get("score", 0),
            strings(s.get("explanation", "")),
            [[_cut(e.get("text", ""), chars), e.get("section", ""), e.get("start"), e.get("end")] for e in evidence[:quotes]],
            max(0, len(evidence) - quotes),
            [strings(m) for m in s.get("missing_elements") or []],
        ])
    return [review.get("document", ""), review.get("doc_type", ""), row.get("path", ""), row.get("sha256") or "",
            row.get("duplicates", []), list(review.get("errors") or []), safeguards]


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

    reviewed = [r for r in rows if not r["review"].get("errors")]
    errors = [r for r in rows if r["review"].get("errors")]
    totals = {sid: Counter() for sid in SAFEGUARD_IDS}
    for r in reviewed:
        for s in r["review"].get("safeguards") or []:
            if s["id"] in totals:
                totals[s["id"]][s["status"]] += 1
                if s.get("required") and s["status"] == "missing":
                    totals[s["id"]]["required_missing"] += 1
    doc_types = sorted({r["review"].get("doc_type") or "unknown" for r in rows})
    with_missing_required = sum(1 for r in rows if r["counts"]["missing_required"])

    out: list[str] = []
    w = out.append
    w("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>")
    w("<meta name='viewport' content='width=device-width, initial-scale=1'>")
    w("<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "script-src 'unsafe-inline'; img-src data:\">")
    w(f"<title>Contract audit \u2014 {len(rows)} documents</title><style>{CSS}</style></head><body>")
    w("<header class='top'><div><h1>Contract audit</h1>")
    w(f"<p class='meta'>{_esc(meta.get('folder', ''))} \u00b7 generated {_esc(meta.get('generated', ''))} \u00b7 "
      f"library {_esc(meta.get('library', ''))} \u00b7 clausegen {_esc(meta.get('tool', ''))} \u00b7 "
      f"required safeguards: {_esc(meta.get('required', ''))}</p></div>")
    w("<div class='legend' aria-label='legend'>"
      "<span class='chip present'>\u2713 present</span><span class='chip partial'>\u25d0 partial</span>"
      "<span class='chip missing'>\u2715 missing</span><span class='chip missing req'>\u2715 missing, required</span>"
      "<span class='chip error'>\u2014 not reviewed</span></div></header>")

    w("<section class='cards'>")
    for label, value, note, cls in (
        ("Documents", len(rows), f"from {meta.get('files', len(rows))} contract files", ""),
        ("Missing a required safeguard", with_missing_required,
         f"{sum(r['counts']['missing_required'] for r in rows)} required safeguards missing", "bad" if with_missing_required else "good"),
        ("Reviewed", len(reviewed), "read and checked for all ten safeguards", ""),
        ("Errors", len(errors), "could not be read (see below)", "warn" if errors else ""),
        ("Skipped files", len(skipped), "not contracts or not readable types", ""),
    ):
        w(f"<div class='card {cls}'><div class='num'>{value}</div><div class='lbl'>{_esc(label)}</div>"
          f"<div class='note'>{_esc(note)}</div></div>")
    w("</section>")

    w("<section class='toolbar' aria-label='filters'>")
    w("<label>Search <input id='q' type='search' placeholder='document name' autocomplete='off'></label>")
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
    w("<button id='reset' type='button'>Reset</button><span id='count' class='count' aria-live='polite'></span>")
    w("<span id='pager' class='pager' hidden><button id='prev' type='button' aria-label='previous page'>\u2039</button>"
      "<span id='pageinfo'></span><button id='next' type='button' aria-label='next page'>\u203a</button></span>")
    if len(rows) > PAGE_SIZE:
        w(f"<noscript><p class='count'>Without JavaScript only the first {PAGE_SIZE} of {len(rows)} documents "
          "are listed; results.jsonl and summary.xlsx have all of them.</p></noscript>")
    w("</section>")

    w("<main class='gridwrap'><table id='grid' class='grid'><thead><tr class='h1'>")
    w("<th class='doc sortable' data-sort='name' scope='col'>Document</th>")
    w("<th class='type sortable' data-sort='type' scope='col'>Type</th>")
    w("<th class='gaps sortable sorted desc' data-sort='gaps' scope='col' title='missing required, missing, "
      "partial'>Gaps</th>")
    for i, sid in enumerate(SAFEGUARD_IDS):
        w(f"<th class='sg sortable' data-sort='s{i}' scope='col' title='{_esc(titles[sid])}: "
          f"{_esc(descriptions[sid])}'>{_esc(SHORT[sid])}</th>")
    w("</tr><tr class='h2'><th class='doc tot'>Totals over reviewed documents</th><th class='type tot'></th>"
      "<th class='gaps tot'></th>")
    n = max(1, len(reviewed))
    for sid in SAFEGUARD_IDS:
        c = totals[sid]
        bar = "".join(f"<i class='{k}' style='width:{100 * c[k] / n:.1f}%'></i>" for k in ("present", "partial", "missing"))
        w(f"<th class='tot sgtot' data-sg='{sid}' title='{_esc(titles[sid])}: {c['present']} present, "
          f"{c['partial']} partial, {c['missing']} missing ({c['required_missing']} where required); "
          f"click to list the gaps'><div class='bar'>{bar}</div>"
          f"<div class='nums'><b class='g'>{c['present']}</b>\u00b7<b class='a'>{c['partial']}</b>\u00b7"
          f"<b class='r'>{c['missing']}</b></div></th>")
    w("</tr></thead><tbody>")
    for index, row in enumerate(rows):
        review, counts = row["review"], row["counts"]
        is_error = bool(review.get("errors"))
        by_id = {s["id"]: s for s in review.get("safeguards") or []}
        ranks = []
        cells = []
        for sid in SAFEGUARD_IDS:
            s = by_id.get(sid, {"status": "missing"})
            status, required = s.get("status", "missing"), bool(s.get("required"))
            ranks.append(str(RANK.get(status, 0)) + ("r" if required else "-"))
            if is_error:
                cells.append("<td class='c error' title='not reviewed'>\u2014</td>")
                continue
            cls = f"c {status}" + (" req" if required else "")
            cells.append(f"<td class='{cls}'>{SYMBOL.get(status, '?')}</td>")
        doc_type = review.get("doc_type") or "unknown"
        if is_error:
            gaps = "<span class='badge err'>error</span>"
        else:
            gap_title = (f"{counts['missing_required']} required safeguards missing; {counts['missing']} missing; "
                         f"{counts['partial']} partial")
            gaps = (f"<span class='gapbox' title='{gap_title}'>"
                    + (f"<span class='badge req'>{counts['missing_required']} req</span>" if counts["missing_required"]
                       else "<span class='badge none'>0 req</span>")
                    + f"<span class='gtext'><b class='r'>{counts['missing']}</b>\u2715 <b class='a'>{counts['partial']}</b>"
                    f"\u25d0</span></span>")
        dup = f" <span class='dup' title='same bytes also at: {_esc(', '.join(row['duplicates']))}'>+{len(row['duplicates'])}</span>" if row["duplicates"] else ""
        error_text = f"<div class='errline'>{_esc(review['errors'][0])}</div>" if is_error else ""
        w(f"<tr class='doc{' iserr' if is_error else ''}' tabindex='0' data-i='{index}' data-type='{_esc(doc_type)}' "
          f"data-name='{_esc(review.get('document', '').lower())}' data-mr='{counts['missing_required']}' "
          f"data-miss='{counts['missing']}' data-part='{counts['partial']}' data-err='{int(is_error)}' "
          f"data-st='{' '.join(ranks)}'{' hidden' if index >= PAGE_SIZE else ''}>"
          f"<th class='doc' scope='row'><span class='name' title='{_esc(review.get('document', ''))}'>{_esc(review.get('document', ''))}</span>{dup}{error_text}</th>"
          f"<td class='type'>{_esc(doc_type)}</td><td class='gaps'>{gaps}</td>{''.join(cells)}</tr>")
    w("</tbody></table>")
    w("<p id='empty' class='empty' hidden>No document matches these filters.</p></main>")

    w("<section class='lists'>")
    if errors:
        w(f"<details open><summary>Errors ({len(errors)}): files that could not be reviewed</summary><table class='list'>"
          "<tr><th>Document</th><th>Reason</th></tr>")
        for r in errors:
            w(f"<tr><td>{_esc(r['review'].get('document', ''))}</td><td>{_esc(r['review']['errors'][0])}</td></tr>")
        w("</table></details>")
    w(f"<details{' open' if 0 < len(skipped) <= 50 else ''}><summary>Skipped ({len(skipped)}): files and folders not "
      "reviewed</summary><table class='list'><tr><th>Path</th><th>Reason</th></tr>")
    for item in skipped:
        w(f"<tr><td>{_esc(item.rel)}</td><td>{_esc(item.reason)}</td></tr>")
    w("</table></details></section>")

    w("<div id='shade' class='shade' hidden></div><aside id='drawer' class='drawer' hidden aria-modal='true' "
      "role='dialog' aria-labelledby='dtitle'><button id='close' class='close' type='button' "
      "aria-label='close'>\u2715</button><div id='dbody'></div></aside>")
    strings = _Strings()
    quotes, chars = quote_limits(len(rows))
    data = {"rows": [_compact(r, strings, quotes, chars) for r in rows], "str": strings.items,
            "sg": [{"id": sid, "title": titles[sid], "short": SHORT[sid], "desc": descriptions[sid],
                    "el": elements[sid]} for sid in SAFEGUARD_IDS]}
    w(f"<script id='data' type='application/json'>{_json_for_script(data)}</script>")
    w(f"<script>{JS.replace('PAGE_SIZE_VALUE', str(PAGE_SIZE))}</script></body></html>")
    return "".join(out)


CSS = """
:root{--present:#d3f2dc;--present-fg:#11602f;--partial:#fde9a9;--partial-fg:#6b4f00;--missing:#fbd3d0;
--missing-fg:#8f1d17;--req:#c62828;--req-fg:#fff;--err:#eceff3;--ink:#1c2430;--muted:#5d6b7e;--line:#dde3ea;
--head:#0f1d33;--accent:#1f5eff;--bg:#f6f8fb}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);background:var(--bg)}
.top{display:flex;justify-content:space-between;align-items:flex-end;gap:24px;flex-wrap:wrap;padding:12px 16px;
background:var(--head);color:#fff}
.top h1{margin:0;font-size:20px;font-weight:650;letter-spacing:.2px}
.top .meta{margin:4px 0 0;color:#b8c4d6;font-size:12px;word-break:break-all}
.legend{display:flex;gap:6px;flex-wrap:wrap}
.chip{display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;font-weight:600}
.chip.present{background:var(--present);color:var(--present-fg)}.chip.partial{background:var(--partial);color:var(--partial-fg)}
.chip.missing{background:var(--missing);color:var(--missing-fg)}.chip.missing.req{background:var(--req);color:var(--req-fg)}
.chip.error{background:var(--err);color:var(--muted)}
.cards{display:flex;gap:12px;padding:12px 16px 4px;flex-wrap:wrap}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:6px 12px;min-width:160px;flex:1}
.card .num{font-size:20px;font-weight:700;line-height:1.2}.card .lbl{font-weight:600}.card .note{color:var(--muted);font-size:12px}
.card.bad{border-left:4px solid var(--req)}.card.good{border-left:4px solid #2e7d32}.card.warn{border-left:4px solid #b7791f}
.toolbar{display:flex;gap:10px 14px;align-items:center;flex-wrap:wrap;padding:10px 16px}
.toolbar label{display:flex;gap:6px;align-items:center;color:var(--muted);font-size:13px}
.toolbar input[type=search],.toolbar select{font:inherit;color:var(--ink);padding:4px 8px;border:1px solid #c5cfdb;
border-radius:6px;background:#fff}
.toolbar input[type=search]{width:170px}.toolbar select{max-width:150px}
.toolbar button{font:inherit;padding:4px 12px;border:1px solid #c5cfdb;border-radius:6px;background:#fff;cursor:pointer}
.toolbar .count{margin-left:auto;color:var(--muted);font-weight:600}
.pager{display:inline-flex;gap:6px;align-items:center;color:var(--muted);font-size:13px}
.pager button{padding:2px 10px}.pager button:disabled{opacity:.4;cursor:default}
.gridwrap{margin:0 16px 16px;background:#fff;border:1px solid var(--line);border-radius:8px;overflow:auto;
max-height:calc(100vh - 120px)}
table.grid{border-collapse:separate;border-spacing:0;width:100%;min-width:1120px}
.grid th,.grid td{border-bottom:1px solid var(--line);padding:5px 8px;vertical-align:middle}
.grid thead th{position:sticky;background:#f0f3f7;z-index:2;font-size:12px;text-align:center;color:#2b3646}
.grid thead tr.h1 th{top:0;height:46px;font-weight:650;border-bottom:1px solid #cfd8e3}
.grid thead tr.h2 th{top:46px;height:40px;font-weight:400;border-bottom:2px solid #b9c5d3}
.grid thead th.doc{left:0;z-index:3;text-align:left}
.grid th.sg{width:78px;min-width:78px;max-width:78px;line-height:1.2;padding:5px 3px}
.grid tbody th.doc{position:sticky;left:0;background:#fff;z-index:1;text-align:left;font-weight:500;
max-width:320px;min-width:220px;border-right:1px solid var(--line)}
.grid tbody tr:hover th.doc,.grid tbody tr:hover td{filter:brightness(.96)}
.grid tbody tr{cursor:pointer}
.grid tbody tr:focus{outline:2px solid var(--accent);outline-offset:-2px}
.name{display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden;overflow-wrap:anywhere;font-size:13px}
.dup{display:inline-block;margin-left:4px;padding:0 5px;border-radius:8px;background:#e7ecf3;color:var(--muted);font-size:11px}
.errline{color:#8a5a00;font-size:12px;margin-top:2px}
.grid td.type{color:var(--muted);font-size:12px;text-align:center;max-width:96px;line-height:1.25}
.grid td.gaps{white-space:nowrap;text-align:left;width:104px}
.gtext{font-size:12px;color:var(--muted);margin-left:2px}.gtext b{font-weight:700}.gtext .r{color:var(--missing-fg)}.gtext .a{color:var(--partial-fg)}
.badge.none{background:#eef1f5;color:#7a8699}
.badge{display:inline-block;margin-right:4px;padding:1px 7px;border-radius:9px;font-size:11px;font-weight:650}
.badge.req{background:var(--req);color:#fff}.badge.miss{background:var(--missing);color:var(--missing-fg)}
.badge.part{background:var(--partial);color:var(--partial-fg)}.badge.ok{background:var(--present);color:var(--present-fg)}
.dsum{margin:10px 0 4px}.badge.err{background:var(--err);color:var(--muted)}
td.c{text-align:center;font-size:15px;font-weight:700;position:relative;border-left:1px solid #fff}
td.c.present{background:var(--present);color:var(--present-fg)}
td.c.partial{background:var(--partial);color:var(--partial-fg)}
td.c.missing{background:var(--missing);color:var(--missing-fg)}
td.c.missing.req{background:var(--req);color:var(--req-fg)}
td.c.req::after{content:"R";position:absolute;top:1px;right:3px;font-size:9px;font-weight:700;opacity:.75}
td.c.error{background:repeating-linear-gradient(45deg,#f1f3f6,#f1f3f6 4px,#e6e9ee 4px,#e6e9ee 8px);color:#8a94a3}
tr.iserr th.doc{background:#fafbfc}
th.sortable{cursor:pointer;user-select:none}
th.sortable::after{content:" \\2195";color:#a0abb9;font-size:11px}
th.sorted.asc::after{content:" \\2191";color:var(--accent)}th.sorted.desc::after{content:" \\2193";color:var(--accent)}
th.sgtot{cursor:pointer}
.bar{display:flex;height:8px;border-radius:4px;overflow:hidden;background:#e9edf2;margin:0 2px 3px}
.bar i{display:block;height:100%}.bar i.present{background:#3aa55d}.bar i.partial{background:#e0b020}.bar i.missing{background:#d9534f}
.nums{font-size:11px;color:var(--muted)}.nums b{font-weight:650}.nums .g{color:var(--present-fg)}
.nums .a{color:var(--partial-fg)}.nums .r{color:var(--missing-fg)}
.empty{padding:24px;text-align:center;color:var(--muted)}
.lists{margin:0 16px 32px}
.lists details{background:#fff;border:1px solid var(--line);border-radius:8px;margin-bottom:10px;padding:8px 14px}
.lists summary{cursor:pointer;font-weight:600}
table.list{border-collapse:collapse;margin-top:8px;width:100%;font-size:13px}
table.list th,table.list td{text-align:left;border-bottom:1px solid var(--line);padding:4px 8px;word-break:break-all}
.shade{position:fixed;inset:0;background:rgba(15,29,51,.35);z-index:9}
.drawer{position:fixed;top:0;right:0;bottom:0;width:min(640px,100vw);background:#fff;z-index:10;overflow:auto;
box-shadow:-8px 0 24px rgba(0,0,0,.18);padding:20px 24px}
.drawer h2{margin:0 36px 4px 0;font-size:17px;word-break:break-all}
.drawer .sub{color:var(--muted);font-size:12px;word-break:break-all}
.drawer .close{position:absolute;top:14px;right:16px;border:0;background:#eef1f5;border-radius:50%;width:30px;
height:30px;cursor:pointer;font-size:14px}
.drawer .errbox{background:#fff6e0;border:1px solid #f0d48a;border-radius:6px;padding:8px 10px;margin:10px 0}
.sgcard{border:1px solid var(--line);border-left:5px solid #ccc;border-radius:6px;padding:8px 12px;margin:10px 0}
.sgcard.present{border-left-color:#3aa55d}.sgcard.partial{border-left-color:#e0b020}
.sgcard.missing{border-left-color:#d9534f}.sgcard.missing.req{border-left-color:var(--req);background:#fff7f7}
.sgcard .hd{display:flex;justify-content:space-between;gap:8px;align-items:baseline}
.sgcard .t{font-weight:650}.sgcard .ex{margin:4px 0;color:#334155}
.sgcard blockquote{margin:6px 0;padding:6px 10px;background:#f6f8fb;border-left:3px solid #9fb3c8;font-size:13px}
.sgcard blockquote .loc{display:block;color:var(--muted);font-size:11px;margin-top:2px}
.sgcard ul{margin:4px 0 0 18px;padding:0}.sgcard .lab{font-size:12px;font-weight:650;color:var(--muted);margin-top:6px}
@media print{.toolbar,.drawer,.shade{display:none}.gridwrap{max-height:none;overflow:visible}}
"""

JS = r"""
(function(){
'use strict';
var DATA = JSON.parse(document.getElementById('data').textContent);
var tbody = document.querySelector('#grid tbody');
var rows = Array.prototype.slice.call(tbody.querySelectorAll('tr.doc'));
var $ = function(id){ return document.getElementById(id); };
var ctl = {q: $('q'), type: $('type'), sg: $('sg'), st: $('st'), mr: $('mr'), rows: $('rows')};
var SG = DATA.sg.map(function(s){ return s.id; });
var sortState = {key: 'gaps', dir: 'desc'};
rows.forEach(function(tr){ tr._st = tr.dataset.st.split(' '); tr._i = +tr.dataset.i; });

function esc(s){ return String(s == null ? '' : s).replace(/[&<>"']/g, function(c){
  return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]; }); }

function matches(tr){
  var q = ctl.q.value.trim().toLowerCase();
  if (q && tr.dataset.name.indexOf(q) < 0) return false;
  if (ctl.type.value && tr.dataset.type !== ctl.type.value) return false;
  if (ctl.mr.checked && tr.dataset.mr === '0') return false;
  if (ctl.rows.value === 'ok' && tr.dataset.err === '1') return false;
  if (ctl.rows.value === 'err' && tr.dataset.err === '0') return false;
  var st = ctl.st.value;
  if (st) {
    if (tr.dataset.err === '1') return false;
    var idx = ctl.sg.value ? [SG.indexOf(ctl.sg.value)] : SG.map(function(_, i){ return i; });
    var want = {missing: '0', partial: '1', present: '2'}[st];
    var hit = idx.some(function(i){ var r = tr._st[i][0]; return st === 'notpresent' ? r !== '2' : r === want; });
    if (!hit) return false;
  }
  return true;
}

function gapKey(tr){ return [tr.dataset.err === '1' ? 0 : 1, +tr.dataset.mr, +tr.dataset.miss, +tr.dataset.part]; }
function cmp(a, b){
  var k = sortState.key, d = sortState.dir === 'asc' ? 1 : -1, x, y;
  if (k === 'name') { x = a.dataset.name; y = b.dataset.name; return d * (x < y ? -1 : x > y ? 1 : 0) || a._i - b._i; }
  if (k === 'type') { x = a.dataset.type; y = b.dataset.type; return d * (x < y ? -1 : x > y ? 1 : 0) || a._i - b._i; }
  if (k === 'gaps') {
    x = gapKey(a); y = gapKey(b);
    for (var i = 0; i < x.length; i++) if (x[i] !== y[i]) return d * (x[i] - y[i]);
    return a._i - b._i;
  }
  var n = +k.slice(1);
  var ra = a.dataset.err === '1' ? 9 : +a._st[n][0] * 2 + (a._st[n][1] === 'r' ? 0 : 1);
  var rb = b.dataset.err === '1' ? 9 : +b._st[n][0] * 2 + (b._st[n][1] === 'r' ? 0 : 1);
  if (ra === 9 || rb === 9) return (ra === 9) - (rb === 9) || a._i - b._i;
  return d * (rb - ra) || a._i - b._i;
}

var PAGE = PAGE_SIZE_VALUE, page = 0, placed = 'gaps:desc';  // the server wrote the rows worst gaps first
function apply(keepPage){
  if (!keepPage) page = 0;
  var order = sortState.key + ':' + sortState.dir;
  var sorted = order === placed ? rows : rows.slice().sort(cmp);
  if (order !== placed) {
    var frag = document.createDocumentFragment();
    sorted.forEach(function(tr){ frag.appendChild(tr); });
    tbody.appendChild(frag);
    rows = sorted; placed = order;
  }
  var hits = sorted.filter(matches), shown = hits.length;
  var pages = Math.max(1, Math.ceil(shown / PAGE));
  if (page >= pages) page = pages - 1;
  var first = page * PAGE, last = Math.min(shown, first + PAGE);
  var visible = new Set(hits.slice(first, last));
  rows.forEach(function(tr){ var hide = !visible.has(tr); if (tr.hidden !== hide) tr.hidden = hide; });
  $('count').textContent = pages > 1
    ? 'showing ' + (first + 1) + '–' + last + ' of ' + shown + ' matching (' + rows.length + ' documents)'
    : 'showing ' + shown + ' of ' + rows.length + ' documents';
  $('pager').hidden = pages < 2;
  $('pageinfo').textContent = 'page ' + (page + 1) + ' of ' + pages;
  $('prev').disabled = page === 0; $('next').disabled = page >= pages - 1;
  $('empty').hidden = shown !== 0;
  ctl.st.disabled = false;
  document.querySelectorAll('#grid th.sortable').forEach(function(th){
    th.classList.toggle('sorted', th.dataset.sort === sortState.key);
    th.classList.toggle('asc', th.dataset.sort === sortState.key && sortState.dir === 'asc');
    th.classList.toggle('desc', th.dataset.sort === sortState.key && sortState.dir === 'desc');
  });
  saveHash();
}

function saveHash(){
  var p = new URLSearchParams();
  if (ctl.q.value) p.set('q', ctl.q.value);
  if (ctl.type.value) p.set('type', ctl.type.value);
  if (ctl.sg.value) p.set('sg', ctl.sg.value);
  if (ctl.st.value) p.set('st', ctl.st.value);
  if (ctl.mr.checked) p.set('mr', '1');
  if (ctl.rows.value) p.set('rows', ctl.rows.value);
  if (sortState.key !== 'gaps' || sortState.dir !== 'desc') p.set('sort', sortState.key + ':' + sortState.dir);
  if (page) p.set('page', page + 1);
  if (openDoc !== null) p.set('doc', openDoc);
  var h = p.toString();
  try { history.replaceState(null, '', h ? '#' + h : location.pathname + location.search); } catch (e) {}
}

function loadHash(){
  var p = new URLSearchParams(location.hash.slice(1));
  ctl.q.value = p.get('q') || '';
  ctl.type.value = p.get('type') || '';
  ctl.sg.value = p.get('sg') || '';
  ctl.st.value = p.get('st') || '';
  ctl.mr.checked = p.get('mr') === '1';
  ctl.rows.value = p.get('rows') || '';
  var s = (p.get('sort') || '').split(':');
  if (s[0]) sortState = {key: s[0], dir: s[1] === 'asc' ? 'asc' : 'desc'};
  page = Math.max(0, (parseInt(p.get('page'), 10) || 1) - 1);
  return p.get('doc');
}

var openDoc = null;
var STATUS = ['missing', 'partial', 'present'];
function expand(i){
  var a = DATA.rows[i];
  if (!a) return null;
  return {d: a[0], t: a[1], p: a[2], h: a[3], dup: a[4], err: a[5], s: a[6].map(function(x){
    return {st: STATUS[x[0]], rq: !!x[1], sc: x[2], ex: DATA.str[x[3]],
            ev: x[4].map(function(e){ return {q: e[0], sec: e[1], a: e[2], b: e[3]}; }), more: x[5],
            me: x[6].map(function(k){ return DATA.str[k]; })};
  })};
}
function showDoc(i){
  var r = expand(i);
  if (!r) return;
  openDoc = i;
  var h = [];
  h.push('<h2 id="dtitle">' + esc(r.d) + '</h2>');
  h.push('<div class="sub">type ' + esc(r.t || 'unknown') + (r.h ? ' \u00b7 sha256 ' + esc(r.h.slice(0, 16)) + '\u2026' : '') + '</div>');
  h.push('<div class="sub">' + esc(r.p) + '</div>');
  if (r.dup.length) h.push('<div class="sub">same file also at: ' + r.dup.map(esc).join(', ') + '</div>');
  if (r.err.length) h.push('<div class="errbox"><b>Not reviewed.</b> ' + r.err.map(esc).join('<br>') + '</div>');
  else {
    var c = {present: 0, partial: 0, missing: 0}, req = 0;
    r.s.forEach(function(s){ c[s.st]++; if (s.rq && s.st === 'missing') req++; });
    h.push('<p class="dsum">' + (req ? '<span class="badge req">' + req + ' required missing</span>' : '') +
      '<span class="badge miss">' + c.missing + ' missing</span><span class="badge part">' + c.partial +
      ' partial</span><span class="badge ok">' + c.present + ' present</span></p>');
  }
  var order = r.s.map(function(s, k){ return k; });
  if (!r.err.length) order.sort(function(a, b){
    var ra = {missing:0, partial:1, present:2}[r.s[a].st] * 2 + (r.s[a].rq ? 0 : 1);
    var rb = {missing:0, partial:1, present:2}[r.s[b].st] * 2 + (r.s[b].rq ? 0 : 1);
    return ra - rb || a - b;
  });
  order.forEach(function(k){
    var s = r.s[k], g = DATA.sg[k];
    var cls = 'sgcard ' + s.st + (s.rq ? ' req' : '');
    h.push('<div class="' + cls + '" data-sg="' + g.id + '"><div class="hd"><span class="t">' + esc(g.title) + '</span>');
    h.push('<span class="chip ' + s.st + (s.rq && s.st === 'missing' ? ' req' : '') + '">' + esc(s.st) + (s.rq ? ' \u00b7 required' : '') + '</span></div>');
    if (s.ex) h.push('<div class="ex">' + esc(s.ex) + '</div>');
    s.ev.forEach(function(e){
      var loc = [e.sec ? 'section ' + e.sec : '', e.a != null ? 'chars ' + e.a + '\u2013' + e.b : ''].filter(Boolean).join(' \u00b7 ');
      h.push('<blockquote class="quote">\u201c' + esc(e.q) + '\u201d' + (loc ? '<span class="loc">' + esc(loc) + '</span>' : '') + '</blockquote>');
    });
    if (s.more) h.push('<div class="sub">and ' + s.more + ' more passage' + (s.more > 1 ? 's' : '') + ' in results.jsonl</div>');
    if (s.me.length && !r.err.length) {
      h.push('<div class="lab">Missing</div><ul class="missing-elements">');
      s.me.forEach(function(m){ h.push('<li>' + esc(g.el[m] || m) + '</li>'); });
      h.push('</ul>');
    } else if (s.st === 'missing' && !r.err.length) {
      h.push('<div class="lab">Missing</div><ul class="missing-elements"><li>' + esc(g.desc) + '</li></ul>');
    }
    h.push('</div>');
  });
  $('dbody').innerHTML = h.join('');
  $('drawer').hidden = false; $('shade').hidden = false;
  $('close').focus();
  saveHash();
}
function closeDoc(){ openDoc = null; $('drawer').hidden = true; $('shade').hidden = true; saveHash(); }

tbody.addEventListener('click', function(ev){ var tr = ev.target.closest('tr.doc'); if (tr) showDoc(tr._i); });
tbody.addEventListener('keydown', function(ev){
  if (ev.key === 'Enter') { var tr = ev.target.closest('tr.doc'); if (tr) showDoc(tr._i); } });
$('close').addEventListener('click', closeDoc);
$('shade').addEventListener('click', closeDoc);
document.addEventListener('keydown', function(ev){ if (ev.key === 'Escape') closeDoc(); });
document.querySelectorAll('#grid th.sortable').forEach(function(th){
  th.addEventListener('click', function(){
    var k = th.dataset.sort;
    if (sortState.key === k) sortState.dir = sortState.dir === 'asc' ? 'desc' : 'asc';
    else sortState = {key: k, dir: k === 'name' || k === 'type' ? 'asc' : 'desc'};
    apply();
  });
});
document.querySelectorAll('#grid th.sgtot').forEach(function(th){
  th.addEventListener('click', function(){ ctl.sg.value = th.dataset.sg; ctl.st.value = 'missing'; apply(); });
});
[ctl.type, ctl.sg, ctl.st, ctl.mr, ctl.rows].forEach(function(el){ el.addEventListener('change', function(){ apply(); }); });
ctl.q.addEventListener('input', function(){ apply(); });
$('reset').addEventListener('click', function(){
  ctl.q.value = ''; ctl.type.value = ''; ctl.sg.value = ''; ctl.st.value = ''; ctl.mr.checked = false;
  ctl.rows.value = ''; sortState = {key: 'gaps', dir: 'desc'}; apply();
});
$('prev').addEventListener('click', function(){ page--; apply(true); $('grid').scrollIntoView(); });
$('next').addEventListener('click', function(){ page++; apply(true); $('grid').scrollIntoView(); });
var doc = loadHash();
apply(true);
if (doc !== null && doc !== '') showDoc(+doc);
document.body.dataset.ready = '1';
})();
"""
