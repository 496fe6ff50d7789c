"""The audit dashboard: error rows, names told apart, every quote with its clause and page, accessible markup, and
in headless Chromium the filters, totals that follow them, search over evidence, paging, real key presses through
the DevTools protocol (open, move, trap, close) and axe-core's WCAG 2.1 AA rules."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest
from lxml import html as lxml_html

from clausegen.audit import error_review, row_counts, run_audit, sort_key
from clausegen.model import SAFEGUARD_IDS, Evidence, Finding, Review
from clausegen.reports.dashboard import PAGE_SIZE, distinguishing_starts, render_dashboard

from conftest import PROFILES, REPO, audit_cli, chromium_executable, make_audit_folder, read_jsonl, run_chromium

needs_chromium = pytest.mark.skipif(chromium_executable() is None,
                                    reason="headless Chromium is not installed (apt-get install -y chromium)")
META = {"folder": "/x", "generated": "now", "library": "l", "tool": "t", "required": "default"}


def load_browser_module():
    """Import bench/browser.py (the DevTools-pipe driver the bench uses too)."""
    spec = importlib.util.spec_from_file_location("bench_browser", REPO / "bench" / "browser.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dashboard_row(review: dict, path: str = "/x/doc.txt") -> dict:
    """Return the row write_reports passes to the dashboard for one review JSON object."""
    return {"review": review, "path": path, "sha256": "0" * 64, "duplicates": [], "counts": row_counts(review)}


def sample_rows() -> list[dict]:
    """Two reviewed documents (one with five quotes on one safeguard, with PDF pages) and two error rows, one in the
    convention's shape (status "error") and one in the older shape (status "missing" with errors)."""
    quotes = [Evidence(f"The Customer shall not export quote number {k}.", 100 * k, 100 * k + 40, f"4.{k}(a)")
              for k in range(1, 6)]
    good = Review("cuad/AcmeCorp_2019_EX-10.12_Supply.pdf", "supply agreement",
                  [Finding(sid, "present" if sid == "export_control" else "missing", 0.9,
                           evidence=quotes if sid == "export_control" else [], required=sid == "end_use")
                   for sid in SAFEGUARD_IDS]).to_dict()
    for k, evidence in enumerate(good["safeguards"][SAFEGUARD_IDS.index("export_control")]["evidence"], 1):
        evidence["page"] = k  # the convention's PDF page (docs/architecture.md)
    for safeguard in good["safeguards"]:  # rule ids have their own field, which no report prints
        safeguard["rules"] = [f"{safeguard['id']}.core_rule_id"]
    partial = Review("cuad/AcmeCorp_2019_EX-10.13_Supply.txt", "eula",
                     [Finding(sid, "partial", 0.5, required=True) for sid in SAFEGUARD_IDS]).to_dict()
    partial["warnings"] = ["pages 2 and 5 were read by OCR"]
    partial["ocr"] = {"pages": [2, 5], "mean_confidence": 0.71, "unreliable_pages": [5]}
    new_error = error_review("broken.pdf", "corrupt PDF: no trailer")
    new_error["safeguards"] = [dict(s, status="error") for s in new_error["safeguards"]]
    old_error = error_review("locked.docx", "encrypted DOCX: password protected", {"end_use"})
    return sorted([dashboard_row(r) for r in (good, partial, new_error, old_error)], key=sort_key)


@pytest.mark.parametrize("names, expected", [
    (["cuad/BellringBrandsInc_20190920_S-1_EX-10.12_11817081_EX-10.12_Supply.txt",
      "cuad/BellringBrandsInc_20190920_S-1_EX-10.12_11817081_EX-10.13_Supply.txt"],
     ["10.12_Supply.txt", "10.13_Supply.txt"]),
    (["a.txt", "b.txt"], ["a.txt", "b.txt"]),  # short shared beginnings: nothing dimmed
    (["contracts/acme-master-agreement.docx", "contracts/acme-master-agreement.pdf"], ["pdf", "docx"]),
    (["only_one_document_in_the_audit.txt"], ["only_one_document_in_the_audit.txt"]),
])
def test_distinguishing_part_of_similar_names(names, expected):
    starts = distinguishing_starts(names)
    assert sorted(name[starts[name]:] for name in names) == sorted(expected)


def test_error_rows_show_error_in_every_column_and_are_counted_apart():
    rows = sample_rows()
    page = render_dashboard(rows, [], None, {**META, "files": 4})
    tree = lxml_html.fromstring(page)
    cards = {c.get("data-card"): int(c.find_class("num")[0].text_content()) for c in tree.find_class("card")}
    assert cards["documents"] == 4 and cards["reviewed"] == 2 and cards["errors"] == 2
    error_rows = [tr for tr in tree.xpath("//tr[contains(@class, 'doc')]") if tr.get("data-err") == "1"]
    assert len(error_rows) == 2
    for tr in error_rows:
        cells = tr.xpath("td[contains(@class, 'c')]")
        assert [c.text_content() for c in cells] == ["error"] * 10
        assert tr.get("data-mr") == "0" and tr.xpath(".//*[@class='errline']")
    totals_label = tree.get_element_by_id("totlabel").text_content()
    assert "Totals over 2 reviewed documents (2 errors not counted)" in totals_label
    totals = [[int(b.text_content()) for b in td.xpath(".//b")] for td in tree.find_class("sgtot")]
    assert sum(sum(t) for t in totals) == 2 * 10  # present + partial + missing over the two reviewed rows only
    data = json.loads(tree.get_element_by_id("data").text_content())
    assert {s[0] for r in data["rows"] if r[6] for s in r[10]} == {3}  # status code 3 = error throughout


def test_dashboard_counts_agree_with_the_audit_summary_and_csv(tmp_path, library):
    import csv

    folder, expect = make_audit_folder(tmp_path / "in")
    summary = run_audit(folder, tmp_path / "out", library, jobs=1, progress=False, max_bytes=200_000)
    tree = lxml_html.fromstring((tmp_path / "out" / "dashboard.html").read_text(encoding="utf-8"))
    cards = {c.get("data-card"): int(c.find_class("num")[0].text_content()) for c in tree.find_class("card")}
    with open(tmp_path / "out" / "summary.csv", newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    csv_errors = sum(1 for r in table if r["error"])
    assert summary.errors == len(expect["broken"]) == csv_errors == cards["errors"]
    assert cards["documents"] == summary.documents == len(table)
    assert cards["reviewed"] == summary.documents - summary.errors
    assert cards["missing a required safeguard"] == summary.documents_missing_required
    assert cards["skipped files"] == len(summary.skipped)


def test_every_quote_with_clause_and_page_and_the_path_as_a_link():
    rows = sample_rows()
    tree = lxml_html.fromstring(render_dashboard(rows, [], None, META))
    data = json.loads(tree.get_element_by_id("data").text_content())
    good = next(r for r in data["rows"] if r[0].endswith(".pdf") and not r[6])
    quotes = good[10][SAFEGUARD_IDS.index("export_control")][3]
    assert [(q[1], q[2]) for q in quotes] == [(f"4.{k}(a)", k) for k in range(1, 6)]
    assert good[3] == "file:///x/doc.txt"
    assert "more passage" not in (REPO / "clausegen" / "reports" / "dashboard.js").read_text(encoding="utf-8")


def test_rule_ids_are_not_printed():
    page = render_dashboard(sample_rows(), [], None, META)
    assert "core_rule_id" not in page and "export_control" in page  # ids name the filter values, not rules


def test_accessible_markup():
    tree = lxml_html.fromstring(render_dashboard(sample_rows(), [], None, META))
    headers = tree.xpath("//thead/tr[@class='h1']/th")
    assert len(headers) == 13 and all(th.xpath("button[@type='button']") for th in headers)
    assert [th.get("aria-sort") for th in headers if th.get("aria-sort")] == ["descending"]
    assert len(tree.xpath("//td[contains(@class, 'sgtot')]/button")) == 10
    reviewed = next(tr for tr in tree.xpath("//tr[contains(@class, 'doc')]") if tr.get("data-err") == "0")
    words = [td.xpath("span[@class='sr']")[0].text_content() for td in reviewed.xpath("td[contains(@class, 'c ')]")]
    assert len(words) == 10 and all(re.fullmatch(r"(present|partial|missing)(, required)?", w) for w in words)
    assert reviewed.xpath("th[@scope='row']/button[@class='open']")
    drawer = tree.get_element_by_id("drawer")
    assert drawer.get("role") == "dialog" and drawer.get("aria-modal") == "true"


# ---- headless Chromium ----

@needs_chromium
def test_dashboard_in_headless_chromium(tmp_path):
    folder, expect = make_audit_folder(tmp_path / "in")
    out = tmp_path / "out"
    assert audit_cli(folder, "-o", out, "--max-bytes", 200_000, "--profile",
                     PROFILES / "facial_recognition_police.yaml") == 0
    page = out / "dashboard.html"
    html_text = page.read_text(encoding="utf-8")
    # self-contained: no external scripts, styles, images or fonts
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html_text)
    assert "<link" not in html_text and "@import" not in html_text
    rows = read_jsonl(out / "results.jsonl")
    url = page.as_uri()

    dom = run_chromium(["--dump-dom", url], tmp_path / "profile1")
    assert 'data-ready="1"' in dom, "the dashboard script did not run to the end"
    assert len(re.findall(r'<tr class="doc[ "]', dom)) == len(rows)
    assert f"showing {len(rows)} of {len(rows)} documents" in dom
    errors = sum(1 for r in rows if r["errors"])
    assert errors == len(expect["broken"])
    assert f"Totals over {len(rows) - errors} reviewed documents ({errors} errors not counted)" in dom
    first = re.search(r'<tr class="doc[^>]*data-mr="(\d+)"[^>]*data-err="(\d)"', dom)
    worst = max(sum(s["required"] and s["status"] == "missing" for s in r["safeguards"])
                for r in rows if not r["errors"])
    assert first and int(first.group(1)) == worst and first.group(2) == "0"  # worst gaps first

    # filter: documents missing a required safeguard
    with_gap = sum(1 for r in rows if not r["errors"]
                   and any(s["required"] and s["status"] == "missing" for s in r["safeguards"]))
    dom = run_chromium(["--dump-dom", url + "#mr=1"], tmp_path / "profile2")
    assert f"showing {with_gap} of {len(rows)} documents" in dom
    # filter: one safeguard missing, and by doc type
    missing_export = sum(1 for r in rows if not r["errors"] and
                         next(s for s in r["safeguards"] if s["id"] == "export_control")["status"] == "missing")
    dom = run_chromium(["--dump-dom", url + "#sg=export_control&st=missing"], tmp_path / "profile3")
    assert f"showing {missing_export} of {len(rows)} documents" in dom
    dom = run_chromium(["--dump-dom", url + "#rows=err"], tmp_path / "profile3e")
    assert f"showing {errors} of {len(rows)} documents" in dom
    assert "Totals over 0 matching reviewed documents" in dom

    # the totals follow the filters: one doc type
    doc_type = next(r["doc_type"] for r in rows if not r["errors"])
    same_type = [r for r in rows if (r["doc_type"] or "unknown") == doc_type]
    dom = run_chromium(["--dump-dom", url + f"#type={doc_type}"], tmp_path / "profile4")
    assert f"showing {len(same_type)} of {len(rows)} documents" in dom
    shown = [[int(n) for n in re.findall(r'<b class="[gar]">(\d+)</b>', cell)]
             for cell in re.findall(r'<td class="tot sgtot".*?</td>', dom)]
    expected = [[sum(1 for r in same_type for s in r["safeguards"] if s["id"] == sid and s["status"] == st)
                 for st in ("present", "partial", "missing")] for sid in SAFEGUARD_IDS]
    assert shown == expected and f"Totals over {len(same_type)} matching reviewed documents" in dom

    # search covers the evidence: words found only in one document's quotes
    dom = run_chromium(["--dump-dom", url], tmp_path / "p5")
    order = re.findall(r'<tr class="doc[^"]*"[^>]*data-name="([^"]*)"', dom)
    strong_name = next(r["document"] for r in rows if expect["strong"] in [r["document"], *r["duplicates"]])
    strong_row = next(r for r in rows if r["document"] == strong_name)
    quote = next(s["evidence"][0]["text"] for s in strong_row["safeguards"] if s["evidence"])
    words = " ".join(quote.split()[2:6]).lower()
    holders = sum(1 for r in rows if words in " ".join(" ".join(e["text"].split()).lower()
                                                        for s in r["safeguards"] for e in s["evidence"]))
    assert words not in strong_name.lower()
    dom = run_chromium(["--dump-dom", url + "#q=" + words.replace(" ", "%20")], tmp_path / "profile5")
    assert holders >= 1 and f"showing {holders} of {len(rows)} documents" in dom

    # drill-down: every one of the strong contract's quotes and a weak one's missing elements
    strong_index = order.index(strong_name.lower())
    dom = run_chromium(["--dump-dom", url + f"#doc={strong_index}"], tmp_path / "profile6")
    drawer = dom[dom.index('id="drawer"'):dom.index('<script id="data"')]
    assert not re.match(r'id="drawer"[^>]*hidden', drawer)
    assert drawer.count('<blockquote class="quote"') == sum(len(s["evidence"]) for s in strong_row["safeguards"])
    assert " ".join(quote.split())[:40].replace("&", "&amp;").replace('"', "&quot;") in drawer.replace("\u201c", "")
    assert "clause " in drawer and "chars " not in drawer and 'href="file:///' in drawer
    weak_index = order.index(expect["weak"].lower())
    dom = run_chromium(["--dump-dom", url + f"#doc={weak_index}"], tmp_path / "profile7")
    assert "required missing" in dom and 'class="missing-elements"' in dom

    shot = tmp_path / "dashboard.png"
    run_chromium([f"--screenshot={shot}", "--window-size=1440,900", url], tmp_path / "profile8")
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert int.from_bytes(png[16:20], "big") == 1440 and int.from_bytes(png[20:24], "big") == 900


@needs_chromium
def test_dashboard_pages_large_audits(tmp_path):
    """Beyond PAGE_SIZE documents the grid shows one page at a time (hidden rows cost the browser nothing)."""
    rows = []
    for i in range(PAGE_SIZE * 2 + 200):
        status = ("present", "partial", "missing")[i % 3]
        review = Review(f"c{i:04d}.txt", "eula" if i % 2 else "other",
                        [Finding(sid, status, 0.5, required=sid == "end_use") for sid in SAFEGUARD_IDS]).to_dict()
        rows.append(dashboard_row(review, f"/x/c{i:04d}.txt"))
    rows.sort(key=sort_key)
    page = tmp_path / "big.html"
    page.write_text(render_dashboard(rows, [], None, {**META, "files": len(rows)}), encoding="utf-8")
    dom = run_chromium(["--dump-dom", page.as_uri() + "#page=3"], tmp_path / "profile")
    assert f"showing {2 * PAGE_SIZE + 1}\u2013{len(rows)} of {len(rows)} matching" in dom
    visible = re.findall(r'<tr class="doc[^>]*>', dom)
    assert len(visible) == len(rows) and sum(" hidden" not in tag for tag in visible) == 200
    dom = run_chromium(["--dump-dom", page.as_uri() + "#type=eula"], tmp_path / "profile2")
    assert f"showing 1\u2013{PAGE_SIZE} of {len(rows) // 2} matching" in dom


@pytest.fixture(scope="module")
def audited(tmp_path_factory, library):
    """Audit the bundled samples plus two broken files once; return the dashboard's path."""
    folder = tmp_path_factory.mktemp("in")
    for sample in sorted((REPO / "contract_samples" / "contracts").glob("*.txt"))[:8]:
        (folder / sample.name).write_bytes(sample.read_bytes())
    (folder / "empty.txt").write_bytes(b"")
    (folder / "corrupt.docx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    out = tmp_path_factory.mktemp("out")
    run_audit(folder, out, library, jobs=1, progress=False)
    return out / "dashboard.html"


@pytest.fixture
def browser(tmp_path):
    if chromium_executable() is None:
        pytest.skip("headless Chromium is not installed (apt-get install -y chromium)")
    with load_browser_module().Browser(tmp_path / "profile") as chromium:
        yield chromium


def active(browser) -> dict:
    """Return what has the keyboard focus: its id, classes, the row it is in, and whether it is in the panel."""
    return browser.evaluate("(function(){ var a = document.activeElement, tr = a.closest('tr.doc');"
                            "return {id: a.id, cls: a.className, row: tr ? +tr.dataset.i : null,"
                            "inPanel: document.getElementById('drawer').contains(a)}; })()")


def contrast(a: str, b: str) -> float:
    """Return the WCAG contrast ratio of two CSS rgb() colours."""
    def luminance(colour):
        channels = [int(v) / 255 for v in re.findall(r"\d+", colour)[:3]]
        r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def panel_open(browser) -> bool:
    return browser.evaluate("!document.getElementById('drawer').hidden")


def test_keyboard_open_move_trap_close(audited, browser):
    browser.open(audited.as_uri())
    browser.evaluate("document.getElementById('reset').focus()")
    for _ in range(40):  # Tab through the pager, the sort buttons and the totals to the first document
        browser.press("Tab")
        if active(browser)["cls"] == "open":
            break
    first = active(browser)
    assert first["cls"] == "open" and first["row"] is not None
    ring = browser.evaluate("(function(){ var c = getComputedStyle(document.activeElement);"
                            "return [c.outlineStyle, c.outlineWidth, c.outlineColor, c.boxShadow]; })()")
    assert ring[:3] == ["solid", "3px", "rgb(17, 17, 17)"] and "rgb(255, 255, 255)" in ring[3]
    band = browser.evaluate("[].map.call(document.activeElement.closest('tr').children, function(c){"
                            "var s = getComputedStyle(c); return [s.backgroundColor, s.boxShadow]; })")
    assert all("rgb(17, 17, 17)" in shadow and "rgb(255, 255, 255)" in shadow for _, shadow in band)
    colours = browser.evaluate("Array.from(new Set([].map.call(document.querySelectorAll('td.c, th.doc, td.type'),"
                               "function(c){ return getComputedStyle(c).backgroundColor; })))")
    assert len(colours) >= 4
    for colour in colours:  # one of the ring's two colours stands out 3:1 or more on every cell colour
        assert max(contrast(colour, "rgb(17, 17, 17)"), contrast(colour, "rgb(255, 255, 255)")) >= 3, colour
    browser.press("ArrowDown")
    second = active(browser)
    assert second["cls"] == "open" and second["row"] != first["row"]
    browser.press("ArrowUp")
    assert active(browser)["row"] == first["row"]
    browser.press("ArrowDown")

    browser.press("Enter")  # opens the panel, and the same key press does not close it
    assert panel_open(browser)
    browser.evaluate("new Promise(function(done){ setTimeout(done, 300); })")
    assert panel_open(browser) and active(browser)["id"] == "dtitle"
    title = browser.evaluate("document.getElementById('dtitle').textContent")
    data_name = f"JSON.parse(document.getElementById('data').textContent).rows[{second['row']}][0]"
    assert title == browser.evaluate(data_name)

    seen = set()
    for _ in range(8):  # focus stays in the panel, forwards and backwards
        browser.press("Tab")
        now = active(browser)
        assert now["inPanel"], now
        seen.add(now["id"] or now["cls"])
    for _ in range(8):
        browser.press("Tab", shift=True)
        assert active(browser)["inPanel"]
    assert {"close", "dnext"} <= seen

    browser.press("ArrowRight")  # the next document, in the panel
    moved = browser.evaluate("document.getElementById('dtitle').textContent")
    assert panel_open(browser) and moved != title
    shown = browser.evaluate("+new URLSearchParams(location.hash.slice(1)).get('doc')")

    browser.press("Escape")  # closes, and the focus returns to the row of the document shown last
    assert not panel_open(browser)
    back = active(browser)
    assert back["cls"] == "open" and back["row"] == shown
    assert not browser.evaluate("document.querySelector('main').inert")

    browser.press("Space")  # a button: Space opens it too
    assert panel_open(browser)
    browser.press("Escape")


def test_keyboard_sorts_with_aria_sort(audited, browser):
    browser.open(audited.as_uri())
    browser.evaluate("document.querySelector('th[data-sort=name] button').focus()")
    browser.press("Enter")
    assert browser.evaluate("document.querySelector('th[data-sort=name]').getAttribute('aria-sort')") == "ascending"
    assert browser.evaluate("document.querySelector('th[data-sort=gaps]').hasAttribute('aria-sort')") is False
    names = browser.evaluate("[].map.call(document.querySelectorAll('tr.doc'), function(r){ return r.dataset.name; })")
    assert names == sorted(names)
    browser.press("Enter")
    assert browser.evaluate("document.querySelector('th[data-sort=name]').getAttribute('aria-sort')") == "descending"
    assert active(browser)["cls"] == "sortbtn"
    widths = browser.evaluate(
        "(function(){ var s = document.getElementById('sg'), m = document.createElement('span');"
        "m.style.font = getComputedStyle(s).font; m.style.whiteSpace = 'pre';"
        "m.textContent = [].reduce.call(s.options, function(a, o){ return o.text.length > a.length ? o.text : a; },"
        "'');"
        "document.body.appendChild(m); var r = [m.offsetWidth, s.clientWidth]; m.remove(); return r; })()")
    assert 100 < widths[0] <= widths[1]  # the safeguard dropdown shows its longest title whole


def test_arrow_keys_go_on_into_the_next_page(tmp_path, browser):
    rows = [dashboard_row(Review(f"c{i:04d}.txt", "eula", [Finding(sid, "missing", 0.0) for sid in SAFEGUARD_IDS]
                                 ).to_dict(), f"/x/c{i:04d}.txt") for i in range(PAGE_SIZE + 5)]
    page = tmp_path / "big.html"
    page.write_text(render_dashboard(rows, [], None, META), encoding="utf-8")
    browser.open(page.as_uri())
    browser.evaluate("document.querySelectorAll('tr.doc button.open')[0].focus()")
    browser.press("End")
    assert active(browser)["row"] == PAGE_SIZE - 1
    browser.press("ArrowDown")
    pageinfo = "document.getElementById('pageinfo').textContent"
    assert active(browser)["row"] == PAGE_SIZE and browser.evaluate(pageinfo) == "page 2 of 2"
    browser.press("ArrowUp")
    assert active(browser)["row"] == PAGE_SIZE - 1 and browser.evaluate(pageinfo) == "page 1 of 2"


def test_panel_shows_pages_ocr_warnings_and_error_reasons(tmp_path, browser):
    rows = sample_rows()
    page = tmp_path / "d.html"
    page.write_text(render_dashboard(rows, [], None, META), encoding="utf-8")
    names = [r["review"]["document"] for r in rows]
    panel = "document.getElementById('dbody').textContent"
    browser.open(page.as_uri() + f"#doc={names.index('cuad/AcmeCorp_2019_EX-10.12_Supply.pdf')}")
    text = browser.evaluate(panel)
    assert all(f"clause 4.{k}(a) \u00b7 page {k}" in text for k in range(1, 6)) and "5 quotes" in text
    browser.open(page.as_uri() + f"#doc={names.index('cuad/AcmeCorp_2019_EX-10.13_Supply.txt')}")
    text = browser.evaluate(panel)
    assert "Read by OCR: pages 2, 5, mean confidence 71%; unreliable: page 5" in text
    assert "pages 2 and 5 were read by OCR" in text
    browser.open(page.as_uri() + f"#doc={names.index('broken.pdf')}")
    text = browser.evaluate(panel)
    assert "Error: not reviewed. corrupt PDF: no trailer" in text and "counted as an error, not as missing" in text
    assert "Missing" not in text and browser.evaluate("document.querySelectorAll('#dbody .sgcard').length") == 0


@pytest.mark.parametrize("fragment", ["", "#doc=0", "#rows=err&doc=LAST"])
def test_axe_core_finds_no_serious_violations(audited, browser, fragment):
    module = load_browser_module()
    if not module.AXE.is_file():
        pytest.skip(f"axe-core is not installed ({module.AXE}): run `make axe` (needs npm)")
    rows = audited.read_text(encoding="utf-8").count("<tr class='doc")
    browser.open(audited.as_uri() + fragment.replace("LAST", str(rows - 1)))
    assert panel_open(browser) == bool(fragment)
    result = browser.axe()
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == []
    assert len(result["passes"]) > 20  # the rules did run
