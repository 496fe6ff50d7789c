"""Fuzzing `ingest_bytes` and `review_bytes` with mutated real contracts (docs/security.md).

Seeds: a DOCX made with python-docx (headings, a numbered list, a table, bold runs), a PDF made with reportlab and a
hand-written uncompressed one, a sample text contract and the same text as Markdown and HTML. Mutations: bit flips,
truncation, insertion of random bytes or of format keywords, deletion, repetition of a slice, and for the DOCX the
corruption of a zip member (its XML mutated, then zipped again with a valid CRC, so the XML reader is what is tested),
dropping, renaming or duplicating members.

The property: the result is a Document whose sections point into its text, or an IngestError (or subclass) with a
one-line message starting with the file name. Nothing else may escape, and no example may take long.

CI runs a fixed, database-less set of examples (derandomize=True) in well under a minute. By hand:
    CLAUSEGEN_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/test_fuzz.py -q
(CLAUSEGEN_FUZZ_SEED=<n> draws a different random set instead of the fixed one.)
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from clausegen.errors import IngestError
from clausegen.ingest import ingest_bytes

from conftest import REPO, make_pdf, minimal_pdf

EXAMPLES = int(os.environ.get("CLAUSEGEN_FUZZ_EXAMPLES", "0") or 0)
SEED = os.environ.get("CLAUSEGEN_FUZZ_SEED")


def fuzz_settings(ci_examples: int):
    """Settings for one fuzz test: ci_examples in CI, CLAUSEGEN_FUZZ_EXAMPLES when set; never a database."""
    return settings(
        max_examples=EXAMPLES or ci_examples,
        deadline=timedelta(seconds=10),
        derandomize=SEED is None,
        database=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def maybe_seed(test):
    return seed(int(SEED))(test) if SEED is not None else test


# ---------------------------------------------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------------------------------------------

CONTRACT = (REPO / "contract_samples" / "contracts" / "eula_you_we_paraphrase.txt").read_text(encoding="utf-8")
PARAGRAPHS = [p.strip() for p in CONTRACT.split("\n\n") if p.strip()]


def seed_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("End User Licence Agreement", 0)
    for i, text in enumerate(PARAGRAPHS[:14]):
        if i % 5 == 0:
            document.add_heading(text[:60], 1)
        elif i % 3 == 0:
            document.add_paragraph(text, style="List Number")
        else:
            run = document.add_paragraph().add_run(text)
            run.bold = i % 4 == 0
    table = document.add_table(rows=2, cols=2)
    for r in range(2):
        for c in range(2):
            table.cell(r, c).text = f"Schedule {r}.{c}: the Licensee shall comply with export laws."
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def seed_html() -> str:
    from html import escape

    return ("<!DOCTYPE html><html><head><title>EULA</title><style>p{margin:0}</style></head><body><h1>EULA</h1>"
            + "".join(f"<p>{escape(p)}</p>" for p in PARAGRAPHS[:12])
            + "<table><tr><td>a</td><td>b</td></tr></table><!-- end --></body></html>")


SEEDS = {
    "contract.docx": seed_docx(),
    "contract.pdf": make_pdf([[[line[:90] for line in p.split("\n")] for p in PARAGRAPHS[k:k + 6]] for k in (0, 6)],
                             footer=True),
    "plain.pdf": minimal_pdf([line[:90] for line in CONTRACT.splitlines() if line.strip()][:40]),
    "contract.txt": CONTRACT.encode("utf-8"),
    "contract.md": ("# EULA\n\n" + "\n\n".join(f"## {p[:40]}\n\n{p}" if i % 4 == 0 else p
                                            for i, p in enumerate(PARAGRAPHS[:12]))).encode("utf-8"),
    "contract.html": seed_html().encode("utf-8"),
}
TOKENS = [b"<!ENTITY x 'y'>", b"<!DOCTYPE a [", b"&x;", b"<w:p>", b"</w:p>", b"<w:t>", b"<w:numPr>", b"]]>", b"<![CDATA[",
          b"obj", b"endobj", b"stream\n", b"endstream", b"xref", b"trailer", b"startxref", b"/FlateDecode", b"/Length 0",
          b"<<", b">>", b"[", b"]", b"(", b")", b"\\", b"0 0 R", b"/Type /Pages", b"/Count 999999", b"BT", b"ET",
          b"Tj", b"BI", b"ID", b"EI", b"q", b"Do", b"PK\x03\x04", b"PK\x01\x02", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf",
          b"%PDF-1.7", b"\r\n", b"<!--", b"-->", b"<a ", b"</", b"<", b">", b"#", b"1.1.1", b"(a)", b"ARTICLE V",
          b"\xe2\x80\xa9", b"\x0c"]


# ---------------------------------------------------------------------------------------------------------------
# Mutations
# ---------------------------------------------------------------------------------------------------------------

def _at(data: bytes, fraction: float) -> int:
    return min(len(data), int(fraction * (len(data) + 1)))


# Where in the file: past the first bytes (hypothesis favours 0.0, which would always break the magic number;
# headers are broken often enough by insertions, deletions and renamed files).
fractions = st.floats(min_value=0.002, max_value=1.0, allow_nan=False)
mutation = st.one_of(
    st.tuples(st.just("flip"), fractions, st.integers(0, 7)),
    st.tuples(st.just("truncate"), st.floats(min_value=0.2, max_value=1.0, allow_nan=False)),
    st.tuples(st.just("insert"), fractions, st.one_of(st.binary(min_size=1, max_size=64), st.sampled_from(TOKENS))),
    st.tuples(st.just("delete"), fractions, st.integers(1, 4096)),
    st.tuples(st.just("repeat"), fractions, st.integers(1, 256), st.integers(2, 200)),
    st.tuples(st.just("set"), fractions, st.sampled_from([0, 0xff, 0x7f, 0x80, ord("<"), ord("("), ord("0")])),
)


def mutate(data: bytes, operations) -> bytes:
    out = bytearray(data)
    for op in operations:
        kind = op[0]
        if kind == "flip" and out:
            i = min(len(out) - 1, _at(out, op[1]))
            out[i] ^= 1 << op[2]
        elif kind == "truncate":
            del out[_at(out, op[1]):]
        elif kind == "insert":
            i = _at(out, op[1])
            out[i:i] = op[2]
        elif kind == "delete":
            i = _at(out, op[1])
            del out[i:i + op[2]]
        elif kind == "repeat":
            i = _at(out, op[1])
            piece = bytes(out[i:i + op[2]])
            out[i:i] = piece * min(op[3], 65536 // max(1, len(piece)))
        elif kind == "set" and out:
            out[min(len(out) - 1, _at(out, op[1]))] = op[2]
    return bytes(out)


member_mutation = st.one_of(
    st.tuples(st.just("content"), st.integers(0, 1000), st.lists(mutation, min_size=1, max_size=4)),
    st.tuples(st.just("drop"), st.integers(0, 1000)),
    st.tuples(st.just("rename"), st.integers(0, 1000),
              st.sampled_from(["word/document.xml", "word/styles.xml", "word/numbering.xml", "word/footnotes.xml",
                               "_rels/.rels", "word/_rels/document.xml.rels", "../evil.xml", "/abs.xml", ""])),
    st.tuples(st.just("duplicate"), st.integers(0, 1000)),
    st.tuples(st.just("stored"), st.integers(0, 1000)),
)


def mutate_zip(data: bytes, operations) -> bytes:
    """Rewrite a zip archive with members changed: the archive stays valid, the parts inside do not."""
    source = zipfile.ZipFile(io.BytesIO(data))
    members = [[info.filename, source.read(info), zipfile.ZIP_DEFLATED] for info in source.infolist()]
    for op in operations:
        if not members:
            break
        target = members[op[1] % len(members)]
        if op[0] == "content":
            target[1] = mutate(target[1], op[2])
        elif op[0] == "drop":
            members.remove(target)
        elif op[0] == "rename":
            target[0] = op[2] or target[0]
        elif op[0] == "duplicate":
            members.append(list(target))
        elif op[0] == "stored":
            target[2] = zipfile.ZIP_STORED
    buffer = io.BytesIO()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": a duplicated member is part of the test
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, content, method in members:
                archive.writestr(zipfile.ZipInfo(name or "x"), content, compress_type=method)
    return buffer.getvalue()


@st.composite
def hostile_files(draw):
    """Return (name, bytes): a seed, possibly renamed to another format, with its zip members and bytes mutated."""
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = SEEDS[name]
    zipped = name.endswith(".docx") and draw(st.integers(0, 2)) > 0  # two in three DOCX: corrupt the members
    if zipped:
        data = mutate_zip(data, draw(st.lists(member_mutation, min_size=1, max_size=3)))
    if not zipped or draw(st.integers(0, 3)) == 0:
        data = mutate(data, draw(st.lists(mutation, min_size=1, max_size=6)))
    if draw(st.integers(0, 9)) == 0:  # a file whose extension lies about its content
        name = "renamed" + draw(st.sampled_from([".docx", ".pdf", ".txt", ".md", ".html"]))
    return name, data


# ---------------------------------------------------------------------------------------------------------------
# The properties
# ---------------------------------------------------------------------------------------------------------------

def check_ingest(name: str, data: bytes):
    try:
        document = ingest_bytes(data, name)
    except IngestError as exc:
        message = str(exc)
        assert message.startswith(f"{name}: ") and "\n" not in message and len(message) > len(name) + 2, message
        return None
    for section in document.sections:
        assert document.text[section.start:section.end] == section.text
    return document


@maybe_seed
@fuzz_settings(ci_examples=800)
@given(hostile_files())
def test_fuzz_ingest_bytes(file):
    check_ingest(*file)


@pytest.fixture(scope="module")
def fuzz_library():
    from clausegen.library import load_library

    return load_library()


@maybe_seed
@fuzz_settings(ci_examples=150)
@given(file=hostile_files())
def test_fuzz_review_bytes(fuzz_library, file):
    from clausegen.model import SAFEGUARD_IDS
    from clausegen.review import review_bytes

    name, data = file
    try:
        review = review_bytes(data, name, fuzz_library)
    except IngestError as exc:
        assert str(exc).startswith(f"{name}: ") and "\n" not in str(exc)
        return
    result = review.to_dict()
    assert [s["id"] for s in result["safeguards"]] == list(SAFEGUARD_IDS)
    assert all(s["status"] in ("present", "partial", "missing") for s in result["safeguards"])


def test_seeds_are_readable():
    """The seeds themselves read cleanly (a fuzz run that only ever sees errors tests little)."""
    for name, data in SEEDS.items():
        assert check_ingest(name, data) is not None, name
