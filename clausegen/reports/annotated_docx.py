"""Write a copy of a reviewed DOCX with Word comments on the evidence paragraphs."""

from __future__ import annotations

from pathlib import Path

from clausegen.errors import IngestError
from clausegen.model import Review

AUTHOR = "clausegen"
INITIALS = "CG"


def comment_text(finding) -> str:
    """Return the comment for one finding: safeguard, status, what is missing, why."""
    text = f"{finding.safeguard}: {finding.status.upper()}" + (" (required)" if finding.required else "")
    if finding.missing_elements:
        text += f". Missing: {', '.join(finding.missing_elements)}"
    return f"{text}. {finding.explanation}"


def summary_text(review: Review) -> str:
    """Return the opening comment: the missing (and partial) required safeguards."""
    missing = [f.safeguard for f in review.findings if f.required and f.status == "missing"]
    partial = [f.safeguard for f in review.findings if f.required and f.status == "partial"]
    text = "clausegen review. Missing required safeguards: " + (", ".join(missing) if missing else "none") + "."
    if partial:
        text += " Partial: " + ", ".join(partial) + "."
    return text


def anchor_runs(paragraph):
    """Return runs to anchor a comment on, adding an empty run to a paragraph that has none."""
    runs = paragraph.runs
    return runs if runs else [paragraph.add_run("")]


def evidence_paragraphs(finding, texts: list[str]) -> list[int]:
    """Return the paragraph indexes holding a finding's evidence: the paragraph index ingest recorded (Section.index),
    else the paragraph whose text contains the start of the quote."""
    found = [i for i in dict.fromkeys(finding.section_indexes) if 0 <= i < len(texts)]
    for evidence in finding.evidence:
        quote = " ".join(evidence.text.split())[:60]
        if quote and not any(quote in texts[i] for i in found):
            index = next((i for i, text in enumerate(texts) if quote in text), None)
            if index is not None and index not in found:
                found.append(index)
    return found


def annotate_docx(src_path, review: Review, out_path) -> Path:
    """Write out_path: src_path with one comment per evidence paragraph and a summary comment at the start."""
    import docx
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(src_path))
    except Exception as exc:  # python-docx raises several types for a broken package
        raise IngestError(f"{src_path}: cannot open as DOCX for annotation ({type(exc).__name__})") from None
    body = document.element.body
    paragraphs = [Paragraph(p, document._body) for p in body.iter(qn("w:p"))]
    if not paragraphs:
        raise IngestError(f"{src_path}: the document has no paragraphs to annotate")

    first = next((p for p in paragraphs if p.text.strip()), paragraphs[0])
    document.add_comment(anchor_runs(first), text=summary_text(review), author=AUTHOR, initials=INITIALS)
    # One comment per (paragraph, safeguard); several safeguards on one paragraph each get their own comment.
    texts = [" ".join(p.text.split()) for p in paragraphs]
    for finding in review.findings:
        if finding.status == "missing":
            continue
        for index in evidence_paragraphs(finding, texts):
            document.add_comment(anchor_runs(paragraphs[index]), text=comment_text(finding),
                                 author=AUTHOR, initials=INITIALS)
    out_path = Path(out_path)
    document.save(str(out_path))
    return out_path
