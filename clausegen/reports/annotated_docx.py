"""Write a copy of a reviewed DOCX with Word comments: one per finding, anchored on the quoted sentence."""

from __future__ import annotations

import re
import zipfile
from copy import deepcopy
from pathlib import Path
from typing import Any

from clausegen.errors import IngestError
from clausegen.model import Review

AUTHOR = "clausegen"
INITIALS = "CG"
STRICT_NAMESPACE = b"http://purl.oclc.org/ooxml/wordprocessingml/main"
STATUS_WORDS = {"present": "present", "partial": "only partly present", "missing": "missing"}


def titles_of(library) -> dict[str, dict[str, Any]]:
    """Return per safeguard its title and element descriptions: comments speak in words, never ids."""
    if library is None:
        return {}
    return {sid: {"title": s.title, "elements": {e.id: e.description for e in s.elements}}
            for sid, s in library.safeguards.items()}


def _title(sid: str, words: dict[str, dict[str, Any]]) -> str:
    return (words.get(sid) or {}).get("title") or sid.replace("_", " ").capitalize()


def comment_text(finding, words: dict[str, dict[str, Any]] | None = None, elsewhere: list[str] = ()) -> str:
    """Return the comment for one finding: the safeguard's title, its status, what is missing and where else."""
    words = words or {}
    required = " This safeguard is required." if finding.required else ""
    text = f"{_title(finding.safeguard, words)}: {STATUS_WORDS.get(finding.status, finding.status)}.{required}"
    if finding.missing_elements:
        names = (words.get(finding.safeguard) or {}).get("elements") or {}
        text += " Not covered: " + "; ".join(names.get(m, m.replace("_", " ")) for m in finding.missing_elements) + "."
    if elsewhere:
        text += " Also relevant: " + ", ".join(elsewhere) + "."
    return text


def summary_text(review: Review, words: dict[str, dict[str, Any]] | None = None) -> str:
    """Return the opening comment: the required safeguards that are missing or only partly present."""
    words = words or {}
    missing = [_title(f.safeguard, words) for f in review.findings if f.required and f.status == "missing"]
    partial = [_title(f.safeguard, words) for f in review.findings if f.required and f.status == "partial"]
    text = "clausegen review. Required safeguards missing: " + ("; ".join(missing) if missing else "none") + "."
    if partial:
        text += " Only partly present: " + "; ".join(partial) + "."
    return text


def quote_patterns(quote: str) -> list[re.Pattern]:
    """Return patterns that find a quote in paragraph text, most exact first: the whole quote, without its clause
    number, then its first words (whitespace may differ between the review's text and the runs)."""
    words = quote.split()
    if words and re.fullmatch(r"\(?[0-9ivxlcA-Za-z]{1,4}(\.[0-9]+)*[.)]?", words[0]) and len(words) > 3:
        unnumbered = words[1:]
    else:
        unnumbered = words
    tries = [words, unnumbered, unnumbered[:8]]
    seen, patterns = set(), []
    for group in tries:
        key = tuple(group)
        if group and key not in seen:
            seen.add(key)
            patterns.append(re.compile(r"\s*".join(re.escape(w) for w in group)))
    return patterns


def _simple(run) -> bool:
    """Return True for a run holding one text element and nothing else but formatting (it can be split)."""
    from docx.oxml.ns import qn

    children = [c for c in run._r if c.tag != qn("w:rPr")]
    return len(children) == 1 and children[0].tag == qn("w:t")


def _split(run, at: int):
    """Split a simple run at character `at`; return the second part (the first stays in place)."""
    from docx.oxml.ns import qn
    from docx.text.run import Run

    text = run.text
    tail = deepcopy(run._r)
    run._r.find(qn("w:t")).text = text[:at]
    tail.find(qn("w:t")).text = text[at:]
    for t in (run._r.find(qn("w:t")), tail.find(qn("w:t"))):
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    run._r.addnext(tail)
    return Run(tail, run._parent)


def runs_for_range(paragraph, start: int, end: int) -> list:
    """Return the runs covering characters start..end of the paragraph's run text, splitting the runs at both ends
    where they allow it (a run with tabs or fields is taken whole)."""
    runs, offsets, position = paragraph.runs, [], 0
    for run in runs:
        offsets.append((position, position + len(run.text)))
        position += len(run.text)
    chosen = [i for i, (a, b) in enumerate(offsets) if a < end and b > start]
    if not chosen:
        return []
    first, last = chosen[0], chosen[-1]
    a, b = offsets[last]
    if end < b and _simple(runs[last]):
        _split(runs[last], end - a)  # the head stays as runs[last]
    a, _ = offsets[first]
    head = runs[first]
    if start > a and _simple(head):
        tail = _split(head, start - a)
        return [tail] + [runs[i] for i in chosen[1:]]
    return [runs[i] for i in chosen]


def locate(paragraphs, texts: list[str], quote: str, hints: list[int]) -> tuple[int, int, int] | None:
    """Return (paragraph index, start, end) of a quote in the runs' text, looking first in the paragraphs the
    review pointed at (hints), then everywhere; None when the quote is not in any paragraph's runs."""
    order = [i for i in dict.fromkeys(hints) if 0 <= i < len(texts)]
    order += [i for i in range(len(texts)) if i not in set(order)]
    for pattern in quote_patterns(quote):
        for index in order:
            match = pattern.search(texts[index])
            if match:
                return index, match.start(), match.end()
    return None


def anchor_runs(paragraph):
    """Return runs to anchor a comment on, adding an empty run to a paragraph that has none."""
    runs = paragraph.runs
    return runs if runs else [paragraph.add_run("")]


def open_docx(src_path):
    """Return the python-docx Document of src_path, or an IngestError saying in one line why it cannot be annotated."""
    import docx

    try:
        with zipfile.ZipFile(src_path) as package:
            main = next((n for n in package.namelist() if n.lower() == "word/document.xml"), None)
            head = package.open(main).read(4096) if main else b""
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError) as exc:
        raise IngestError(f"{src_path}: cannot open as DOCX for annotation ({type(exc).__name__}: {exc})") from None
    if STRICT_NAMESPACE in head:
        raise IngestError(f"{src_path}: a Strict Open XML document cannot be annotated; save it as a standard Word "
                          "document (.docx) and try again")
    try:
        return docx.Document(str(src_path))
    except Exception as exc:  # python-docx raises several types for a broken package
        raise IngestError(f"{src_path}: cannot open as DOCX for annotation ({type(exc).__name__}: {exc})") from None


def annotate_docx(src_path, review: Review, out_path, library=None) -> Path:
    """Write out_path: src_path with a summary comment at the start and one comment per finding that has evidence,
    anchored on its first quote (the sentence's runs); the other quotes' clauses are named in the comment."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    document = open_docx(src_path)
    body = document.element.body
    paragraphs = [Paragraph(p, document._body) for p in body.iter(qn("w:p"))]
    if not paragraphs:
        raise IngestError(f"{src_path}: the document has no paragraphs to annotate")
    words = titles_of(library)
    first = next((p for p in paragraphs if p.text.strip()), paragraphs[0])
    document.add_comment(anchor_runs(first), text=summary_text(review, words), author=AUTHOR, initials=INITIALS)
    texts = ["".join(r.text for r in p.runs) for p in paragraphs]
    for finding in review.findings:
        if finding.status == "missing" or not finding.evidence:
            continue
        evidence = finding.evidence[0]
        found = locate(paragraphs, texts, evidence.text, finding.section_indexes[:1])
        if found:
            index, start, end = found
            runs = runs_for_range(paragraphs[index], start, end)  # splitting runs leaves the text as it was
        else:  # the quote is not in the runs (a hyperlink, a field): the paragraph ingest recorded
            index = next((i for i in finding.section_indexes if 0 <= i < len(paragraphs)), None)
            runs = anchor_runs(paragraphs[index]) if index is not None else []
        if not runs:
            continue
        elsewhere = list(dict.fromkeys(e.section for e in finding.evidence[1:] if e.section and e.section != evidence.section))
        document.add_comment(runs, text=comment_text(finding, words, elsewhere), author=AUTHOR, initials=INITIALS)
    out_path = Path(out_path)
    document.save(str(out_path))
    return out_path
