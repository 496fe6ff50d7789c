"""Bounds on pdfminer while it reads a hostile PDF: a deadline, decoded-byte budget, and per-page object limits."""

from __future__ import annotations

import contextvars
import functools
import io
import math
import re
import time
import zlib

from clausegen.errors import CorruptFileError, IngestError, UnsafeFileError
from clausegen.ingest.limits import Limits, _size

class _PdfGuard:
    """The bounds on reading one PDF: a deadline, a budget of decoded stream bytes, form XObjects and drawn objects
    per page. pdfminer has no such limits; the hooks below (stream decoders, the interpreter, the layout device and
    the object resolver) consult the guard of the PDF being read through `_PDF_GUARD`."""

    def __init__(self, name: str, limits: Limits):
        self.name = name
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_pdf_seconds
        self.budget = limits.max_unzipped_bytes  # decoded stream bytes still allowed
        self.page = 0
        self.forms = 0
        self.ticks = 0
        self.error: IngestError | None = None
        self.turn = 0  # the page's text runs sideways or upside down: lay it out turned by this many degrees

    def fail(self, error: IngestError):
        """Raise `error`, and remember it: pdfminer swallows some exceptions, the refusal must still reach the caller."""
        if self.error is None:
            self.error = error
        raise self.error

    def check(self) -> None:
        """Raise when the PDF has already been refused or its time is up."""
        if self.error is not None:
            raise self.error
        if time.monotonic() > self.deadline:
            self.fail(UnsafeFileError(f"{self.name}: PDF takes too long to read "
                                      f"(more than {self.limits.max_pdf_seconds:g} s limit)"))

    def spend(self, size: int) -> None:
        """Account for `size` decoded stream bytes; raise past the budget."""
        self.budget -= size
        if self.budget < 0:
            self.fail(UnsafeFileError(f"{self.name}: PDF streams inflate past {_size(self.limits.max_unzipped_bytes)} "
                                      "(decompression bomb refused)"))


_PDF_GUARD: contextvars.ContextVar[_PdfGuard | None] = contextvars.ContextVar("clausegen_pdf_guard", default=None)


class _GuardedZlib:
    """Stands in for the zlib module inside pdfminer.pdftypes: inflates no more than the guard's budget, and returns
    what a truncated stream holds (pdfminer would otherwise salvage it one byte at a time, in quadratic time)."""

    error = zlib.error

    def __getattr__(self, attribute):
        return getattr(zlib, attribute)

    @staticmethod
    def decompress(data, *args, **kwargs):
        guard = _PDF_GUARD.get()
        if guard is None:
            return zlib.decompress(data, *args, **kwargs)
        guard.check()
        inflater = zlib.decompressobj()
        out = inflater.decompress(data, max(guard.budget, 0) + 1)
        guard.spend(len(out))
        return out


def _salvage_flate(data: bytes) -> bytes:
    """Linear stand-in for pdfminer's decompress_corrupted: inflate the stream, else all of it but the checksum."""
    guard = _PDF_GUARD.get()
    limit = max(guard.budget, 0) + 1 if guard is not None else 0
    for body in (data, data[:-4]):
        try:
            out = zlib.decompressobj().decompress(body, limit)
        except zlib.error:
            if body is not data or len(data) <= 4:
                raise
            continue
        if guard is not None:
            guard.spend(len(out))
        return out
    raise zlib.error("corrupt stream")  # not reached


def _guarded_lzw(data: bytes) -> bytes:
    """pdfminer's LZW decoder, stopped at the guard's budget (LZW inflates up to ~2,700:1)."""
    from pdfminer.lzw import LZWDecoder

    guard = _PDF_GUARD.get()
    pieces, total = [], 0
    for piece in LZWDecoder(io.BytesIO(data)).run():
        pieces.append(piece)
        total += len(piece)
        if guard is not None and total > guard.budget:
            break
    if guard is not None:
        guard.spend(total)
    return b"".join(pieces)


def _guarded_runlength(data: bytes) -> bytes:
    """RunLengthDecode in linear time and bounded memory (pdfminer's builds a list of ints, 8 bytes per byte)."""
    guard = _PDF_GUARD.get()
    limit = guard.budget if guard is not None else math.inf
    out = bytearray()
    i, n = 0, len(data)
    while i < n and len(out) <= limit:
        length = data[i]
        if length == 128:
            break
        if length < 128:
            out += data[i + 1:i + 2 + length]
            i += length + 2
        else:
            out += data[i + 1:i + 2] * (257 - length)
            i += 2
    if guard is not None:
        guard.spend(len(out))
    return bytes(out)


def _install_pdf_guards() -> None:
    """Make pdfminer safe to run on hostile PDFs, once per process.

    In pdfminer.pdftypes: bounded stream decoders (above). In pdfminer.psparser: a check on every step of the
    tokenizer (the guard's deadline, and tokens longer than `max_pdf_token_bytes`, which pdfminer grows by
    concatenation in quadratic time), and line readers that collect their pieces instead of concatenating them. In
    pdfminer.pdfinterp: inline image data collected the same way. Outside `_pdf_page_lines` (no guard set) all of
    these behave like the originals, in linear time."""
    import pdfminer.pdftypes as pdftypes
    from pdfminer.pdfinterp import PDFContentParser
    from pdfminer.psparser import EOL, PSBaseParser

    if getattr(pdftypes, "_clausegen_guarded", False):
        return
    pdftypes.zlib = _GuardedZlib()
    pdftypes.decompress_corrupted = _salvage_flate
    pdftypes.lzwdecode = _guarded_lzw
    pdftypes.rldecode = _guarded_runlength

    def guarded_fillbuf(original):
        def fillbuf(self):
            guard = _PDF_GUARD.get()
            if guard is not None:
                if len(self._curtoken) > guard.limits.max_pdf_token_bytes:
                    guard.fail(UnsafeFileError(f"{guard.name}: PDF holds a token (string, name or number) longer than "
                                               f"{guard.limits.max_pdf_token_bytes // 1024} KB"))
                guard.ticks += 1
                if guard.ticks & 4095 == 0:
                    guard.check()
            return original(self)

        return fillbuf

    def nextline(self):
        """PSBaseParser.nextline, collecting the pieces of a long line instead of concatenating them."""
        pieces = []
        linepos = self.bufpos + self.charpos
        eol = False
        while True:
            self.fillbuf()
            if eol:
                c = self.buf[self.charpos:self.charpos + 1]
                if c == b"\n":  # b"\r\n"
                    pieces.append(c)
                    self.charpos += 1
                break
            m = EOL.search(self.buf, self.charpos)
            if m:
                pieces.append(self.buf[self.charpos:m.end(0)])
                self.charpos = m.end(0)
                if pieces[-1][-1:] == b"\r":
                    eol = True
                else:
                    break
            else:
                pieces.append(self.buf[self.charpos:])
                self.charpos = len(self.buf)
        return linepos, b"".join(pieces)

    def revreadlines(self):
        """PSBaseParser.revreadlines, collecting the pieces of a long line instead of prepending them."""
        self.fp.seek(0, io.SEEK_END)
        pos = self.fp.tell()
        tail: list[bytes] = []  # the pieces of the line being read, last piece first
        while pos > 0:
            guard = _PDF_GUARD.get()
            if guard is not None:
                guard.check()
            prevpos = pos
            pos = max(0, pos - self.BUFSIZ)
            self.fp.seek(pos)
            chunk = self.fp.read(prevpos - pos)
            if not chunk:
                break
            while True:
                n = max(chunk.rfind(b"\r"), chunk.rfind(b"\n"))
                if n == -1:
                    tail.append(chunk)
                    break
                yield chunk[n:] + b"".join(reversed(tail))
                chunk = chunk[:n]
                tail = []

    def get_inline_data(self, pos, target=b"EI"):
        """PDFContentParser.get_inline_data, collecting the pieces instead of concatenating them."""
        self.seek(pos)
        i = 0
        pieces = []
        while i <= len(target):
            self.fillbuf()
            if i:
                c = bytes((self.buf[self.charpos],))
                pieces.append(c)
                self.charpos += 1
                if (len(target) <= i and c.isspace()) or (i < len(target) and c == bytes((target[i],))):
                    i += 1
                else:
                    i = 0
            else:
                j = self.buf.find(target[0], self.charpos)
                if j >= 0:
                    pieces.append(self.buf[self.charpos:j + 1])
                    self.charpos = j + 1
                    i = 1
                else:
                    pieces.append(self.buf[self.charpos:])
                    self.charpos = len(self.buf)
        data = b"".join(pieces)[: -(len(target) + 1)]
        data = re.sub(rb"(\x0d\x0a|[\x0d\x0a])$", b"", data)
        return pos, data

    PSBaseParser.fillbuf = guarded_fillbuf(PSBaseParser.fillbuf)
    if "fillbuf" in PDFContentParser.__dict__:
        PDFContentParser.fillbuf = guarded_fillbuf(PDFContentParser.fillbuf)
    PSBaseParser.nextline = nextline
    PSBaseParser.revreadlines = revreadlines
    PDFContentParser.get_inline_data = get_inline_data
    pdftypes._clausegen_guarded = True


@functools.cache
def _pdf_classes():
    """Return (document, interpreter, device) classes that consult the current _PdfGuard (made once per process)."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LTChar
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfinterp import PDFPageInterpreter
    from pdfminer.pdftypes import PDFObjRef

    class GuardedDocument(PDFDocument):
        def getobj(self, objid):
            guard = _PDF_GUARD.get()
            if guard is not None:
                guard.check()
            obj = super().getobj(objid)
            # An object that is only a reference to another ("2 0 obj 2 0 R endobj") sends pdfminer's resolve1 round
            # a loop forever: follow such chains here, a bounded number of steps.
            seen = {objid}
            while isinstance(obj, PDFObjRef):
                if obj.objid in seen or len(seen) > 32:
                    if guard is not None:
                        guard.fail(CorruptFileError(f"{guard.name}: malformed PDF (object {objid} refers to itself "
                                                    "through a loop of references)"))
                    return None
                seen.add(obj.objid)
                obj = super().getobj(obj.objid)
            return obj

    class GuardedInterpreter(PDFPageInterpreter):
        def push(self, obj) -> None:
            argstack = self.argstack
            argstack.append(obj)
            if len(argstack) > 4096:  # operators take at most a few operands; a junk stream piles up millions
                del argstack[:2048]
            guard = _PDF_GUARD.get()
            if guard is not None:
                guard.ticks += 1
                if guard.ticks & 1023 == 0:
                    guard.check()
                    items = len(getattr(self.device, "cur_item", ()) or ())
                    if items > guard.limits.max_pdf_page_objects:
                        guard.fail(_too_many_objects(guard, items))

        def pop(self, n: int) -> list:
            if n == 0:
                return []
            x = self.argstack[-n:]
            del self.argstack[-n:]  # in place: pdfminer copies the whole stack on every operator
            return x

        def do_q(self) -> None:
            super().do_q()
            if len(self.gstack) > 4096:  # unbalanced "q" operators: keep the innermost saved states
                del self.gstack[:2048]

        def do_Do(self, xobjid_arg) -> None:
            guard = _PDF_GUARD.get()
            if guard is not None:
                guard.check()
                guard.forms += 1
                if guard.forms > guard.limits.max_pdf_forms:
                    guard.fail(UnsafeFileError(f"{guard.name}: page {guard.page} draws more than "
                                               f"{guard.limits.max_pdf_forms} XObjects (nested forms fanning out?)"))
            super().do_Do(xobjid_arg)

    class GuardedAggregator(PDFPageAggregator):
        def end_page(self, page) -> None:
            guard = _PDF_GUARD.get()
            if guard is not None:
                guard.check()
                # Characters drawn wholly outside the page are invisible; laying them out costs quadratic time.
                x0, y0, x1, y1 = self.cur_item.bbox
                objs = self.cur_item._objs
                kept = [o for o in objs if not (isinstance(o, LTChar) and (o.x1 < x0 or o.x0 > x1 or o.y1 < y0 or
                                                                          o.y0 > y1))]
                if len(kept) != len(objs):
                    self.cur_item._objs = kept
                items = _count_layout_items(kept)
                if items > guard.limits.max_pdf_page_objects:
                    guard.fail(_too_many_objects(guard, items))
                # Sideways text laid out as drawn gives one line per character ("r e b m u n"), in quadratic time:
                # skip the layout; the caller reads the page again, turned so that the text is upright.
                guard.turn = _text_turn(kept)
                if guard.turn:
                    self.cur_item._objs = []
            super().end_page(page)

    return GuardedDocument, GuardedInterpreter, GuardedAggregator


def _text_turn(objs) -> int:
    """Return 90, 180 or 270 when most characters of a page run in that direction (counter-clockwise), else 0."""
    from pdfminer.layout import LTChar, LTFigure

    counts = [0, 0, 0, 0]  # characters running right, up, left, down
    stack = [objs]
    while stack:
        for obj in stack.pop():
            if isinstance(obj, LTChar):
                a, b = obj.matrix[0], obj.matrix[1]
                counts[(0 if a > 0 else 2) if abs(a) >= abs(b) else (1 if b > 0 else 3)] += 1
            elif isinstance(obj, LTFigure):
                stack.append(obj._objs)
    best = max(range(4), key=counts.__getitem__)
    return 0 if best == 0 or counts[best] <= sum(counts) / 2 else best * 90


def _too_many_objects(guard: _PdfGuard, items: int) -> UnsafeFileError:
    return UnsafeFileError(f"{guard.name}: page {guard.page} draws too much ({items} characters and shapes > "
                           f"{guard.limits.max_pdf_page_objects} limit)")


def _count_layout_items(objs) -> int:
    """Return how many layout objects a page holds, counting inside figures."""
    from pdfminer.layout import LTFigure

    total = 0
    stack = [objs]
    while stack:
        for obj in stack.pop():
            total += 1
            if isinstance(obj, LTFigure):
                stack.append(obj._objs)
    return total
