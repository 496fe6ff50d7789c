"""The batch audit: a folder of contracts -> reviews in parallel -> results.jsonl, summary.csv/xlsx, dashboard.html.

Shape (docs/architecture.md has the full story):

    walk FOLDER -> FileEntry per contract (+ skipped files) -> content hash (stat-cached)
      -> group by (sha256, format): the same bytes under two paths are one document, reviewed once
      -> SQLite cache lookup, key (sha256, format, library key, tool key, required key)
      -> the misses go to a pool of warm worker processes, one pipe each, a deadline per file
         (SIGALRM inside the worker; the parent kills and replaces a worker that overruns it)
      -> each result is committed to SQLite (WAL) the moment it arrives
      -> at the end every report is written from the database, atomically (temp file + rename).

The unit of work, `audit_document(data, name, library, required)`, is a pure function of the file's bytes and the
library; everything else here is plumbing around it. Heavy modules (multiprocessing, rich, openpyxl, the reviewer)
are imported only when needed, so a fully cached re-run stays cheap.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import stat
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from clausegen import __version__
from clausegen.errors import ClausegenError, OutputError, escape_controls
from clausegen.model import SAFEGUARD_IDS, Finding, Review

# File types the reviewer reads: lower-case extension -> format name.
SUPPORTED = {".docx": "docx", ".pdf": "pdf", ".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
             ".html": "html", ".htm": "html", ".rtf": "rtf"}
DEFAULT_ENGINE = "clausegen.review:review_bytes"
DEFAULT_TIMEOUT = 60.0  # seconds per file
CACHE_NAME = "cache.sqlite"
LOCK_NAME = ".clausegen-audit.lock"
OUTPUTS = ("results.jsonl", "summary.csv", "evidence.csv", "summary.xlsx", "dashboard.html", "skipped.csv")
SCHEMA_VERSION = "1"
WARMUP_TEXT = b"This Agreement is made between the Supplier and the Customer. The Customer shall comply with law."
_WARM_ENV = "CLAUSEGEN_AUDIT_FORKSERVER_WARM"
# Modules whose code does not change a review; every other clausegen/*.py, and every module of the packages in
# REVIEW_PACKAGES, is part of the tool key.
NOT_REVIEW_CODE = {"audit.py", "cli.py", "demo.py", "__main__.py", "generate.py", "docx_writer.py", "profile.py",
                   "risk.py", "render.py", "gate.py", "check.py", "memo.py"}
REVIEW_PACKAGES = ("ingest", "detect")
SCORER_FILE = Path(__file__).resolve().parent / "detect" / "scorer.bin"  # detect.scorer.MODEL_FILE, without numpy


# ---------------------------------------------------------------------------------------------------------------
# The unit of work: a pure function of (bytes, library)
# ---------------------------------------------------------------------------------------------------------------

def one_line(message: Any, limit: int = 400) -> str:
    """Return message on one line (control characters in names escaped, whitespace collapsed), cut to limit
    characters."""
    text = " ".join(escape_controls(str(message), keep="\n\t").split()) or "unknown error"
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def error_review(name: str, message: str, required: set[str] | None = None) -> dict[str, Any]:
    """Return the review JSON object for a document that could not be reviewed.

    All ten safeguards have status `error` (never `missing`: nothing was read, so nothing can be said missing),
    score 0, no evidence, and the one-line reason in `errors` and in each explanation ("not reviewed: <reason>").
    This is the one extension of DESIGN.md's status set (docs/architecture.md).
    """
    required = required or set()
    findings = [Finding(sid, "error", 0.0, explanation=f"not reviewed: {message}", required=sid in required)
                for sid in SAFEGUARD_IDS]
    return Review(name, "unknown", findings, errors=[message]).to_dict()


def as_error_row(review: dict[str, Any]) -> dict[str, Any]:
    """Return review with every safeguard's status `error` when it has errors (a cached row of an older version,
    or a reviewer that reported an error), unchanged otherwise."""
    errors = review.get("errors") or []
    if not errors:
        return review
    for s in review.get("safeguards") or []:
        if s.get("status") != "error":
            s.update(status="error", score=0.0, evidence=[], missing_elements=[],
                     explanation=f"not reviewed: {errors[0]}")
    return review


def resolve_engine(spec: str | None = None) -> Callable[..., Any]:
    """Return the per-document review function named by 'module:function' (default clausegen.review:review_bytes)."""
    import importlib

    module, _, attr = (spec or DEFAULT_ENGINE).partition(":")
    return getattr(importlib.import_module(module), attr or "review_bytes")


def audit_document(data: bytes, name: str, library, required: set[str] | None = None,
                    engine: str | Callable[..., Any] | None = None) -> dict[str, Any]:
    """Review one document's bytes: the audit's unit of work, a pure function of (bytes, name's format, library).

    Returns the review JSON object of DESIGN.md. A file the reviewer refuses (corrupt, encrypted, empty, too large:
    any ClausegenError) gives `error_review` with the reviewer's one-line message; a bug in the reviewer gives an
    error object naming the exception. Never raises for bad input.
    """
    func = engine if callable(engine) else resolve_engine(engine)
    try:
        review = func(data, name, library, required=required)
    except ClausegenError as exc:  # the message names the file: a newline in the name is escaped, not collapsed
        return error_review(name, one_line(str(exc).replace(name, escape_controls(name))), required)
    except MemoryError:
        raise
    except Exception as exc:  # a reviewer bug on this file: recorded on its row, never stops the batch
        return error_review(name, one_line(f"internal error in the reviewer: {type(exc).__name__}: {exc}"), required)
    result = review.to_dict() if hasattr(review, "to_dict") else dict(review)
    if result.get("errors"):
        result["errors"] = [one_line(e) for e in result["errors"]]
    return as_error_row(result)


# ---------------------------------------------------------------------------------------------------------------
# Walking the folder
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class FileEntry:
    """One contract file found by the walk."""

    path: str  # as walked (FOLDER joined with the relative path); may hold surrogate-escaped bytes
    rel: str  # relative to FOLDER, '/'-separated, printable (undecodable bytes replaced)
    fmt: str
    size: int
    stamp: tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, inode, device: the stat-cache key
    sha256: str = ""
    error: str = ""  # a problem found before review (unreadable, empty, over the size limit)


@dataclass
class SkippedFile:
    rel: str
    reason: str


def printable(path: str) -> str:
    """Return path as valid text (undecodable file-name bytes replaced by U+FFFD)."""
    return os.fsencode(path).decode("utf-8", "replace")


def is_audit_output(folder: str) -> bool:
    """Return True when folder holds an audit's outputs (its lock file, or its results next to its cache or
    summary), whatever the folder is called: a previous audit's dashboard is not a contract."""
    def has(name):
        return os.path.isfile(os.path.join(folder, name))

    return has(LOCK_NAME) or has("results.jsonl") and (has(CACHE_NAME) or has("summary.csv"))


def discover(root: str | os.PathLike, exclude: Iterable[str | os.PathLike] = ()) -> tuple[list[FileEntry], list[SkippedFile]]:
    """Walk root recursively (following symlinks, each real folder once) and return (contracts, skipped).

    Skipped are files of other types, hidden files and folders, Word lock files (~$...), special files (FIFOs,
    sockets, devices: reading one could block), broken symlinks, symlink loops, unreadable folders, the excluded
    folders (the audit's own output folder when it sits inside root) and any other audit's output folder.
    """
    root = os.fspath(root)
    files: list[FileEntry] = []
    skipped: list[SkippedFile] = []
    excluded = set()
    for path in exclude:
        try:
            st = os.stat(path)
            excluded.add((st.st_dev, st.st_ino))
        except OSError:
            pass
    try:
        st = os.stat(root)
    except OSError as exc:
        return files, [SkippedFile(".", f"unreadable folder: {exc.strerror or exc}")]
    seen = {(st.st_dev, st.st_ino)}
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        folder = os.path.join(root, rel_dir) if rel_dir else root
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: (e.is_symlink(), e.name))  # real folders win over aliases
        except OSError as exc:
            skipped.append(SkippedFile(printable(rel_dir or "."), f"unreadable folder: {exc.strerror or exc}"))
            continue
        subdirs = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            shown = printable(rel)
            if entry.name.startswith("."):
                skipped.append(SkippedFile(shown, "hidden"))
                continue
            try:
                st = entry.stat(follow_symlinks=True)
            except OSError as exc:
                reason = "broken symlink" if entry.is_symlink() else f"unreadable: {exc.strerror or exc}"
                skipped.append(SkippedFile(shown, reason))
                continue
            if stat.S_ISDIR(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if key in excluded or is_audit_output(os.path.join(root, rel)):
                    skipped.append(SkippedFile(shown + "/", "the audit's output folder"))
                elif key in seen:
                    skipped.append(SkippedFile(shown + "/", "symlink loop or folder already visited"))
                else:
                    seen.add(key)
                    subdirs.append(rel)
                continue
            if not stat.S_ISREG(st.st_mode):
                skipped.append(SkippedFile(shown, "not a regular file"))
                continue
            if entry.name.startswith("~$"):
                skipped.append(SkippedFile(shown, "Office lock file"))
                continue
            ext = os.path.splitext(entry.name)[1].lower()
            fmt = SUPPORTED.get(ext)
            if fmt is None:
                skipped.append(SkippedFile(shown, f"unsupported type {ext or '(no extension)'}"))
                continue
            files.append(FileEntry(os.path.join(root, rel), shown, fmt, st.st_size,
                                   (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)))
        stack.extend(reversed(subdirs))
    files.sort(key=lambda f: f.rel)
    skipped.sort(key=lambda s: s.rel)
    return files, skipped


# ---------------------------------------------------------------------------------------------------------------
# Cache keys and the SQLite cache
# ---------------------------------------------------------------------------------------------------------------

class LibraryRef:
    """A clause library named by its folder. Its cache key is computed from the files alone; it is parsed and
    validated (`load_library`, which takes seconds) only when a document has to be reviewed, so a fully cached
    re-run never pays for it. run_audit accepts a LibraryRef or a loaded Library."""

    def __init__(self, root: str | os.PathLike | None = None, countries: str | os.PathLike | None = None):
        from clausegen.errors import LibraryError
        from clausegen.library import default_library_path

        self.root = str(Path(root) if root else default_library_path())
        self.countries_path = str(countries) if countries else None
        self._library = None
        if not Path(self.root).is_dir():
            raise LibraryError([f"{self.root}: clause library folder not found"])

    @property
    def version(self) -> str:
        from clausegen.library import Problems, read_yaml

        meta = read_yaml(Path(self.root) / "library.yaml", Problems(Path(self.root)))  # bounded: no alias bomb
        version = meta.get("version", "") if isinstance(meta, dict) else ""
        return str(version) if isinstance(version, (str, int, float)) else ""

    def load(self):
        """Return the loaded, validated library (raises LibraryError listing every problem)."""
        if self._library is None:
            from clausegen.library import load_library

            # review and audit draft nothing: the clause and document templates are neither checked nor rendered
            self._library = load_library(self.root, self.countries_path, check_templates=False)
        return self._library


def _loaded(library):
    return library.load() if isinstance(library, LibraryRef) else library


def library_info(library) -> dict[str, dict[str, Any]]:
    """Return what the reports need from the library: per safeguard its title, description and element names."""
    info = {}
    for sid in SAFEGUARD_IDS:
        safeguard = library.safeguards.get(sid)
        info[sid] = {"title": safeguard.title if safeguard else sid,
                     "description": safeguard.description if safeguard else "",
                     "elements": {e.id: e.description for e in (safeguard.elements if safeguard else [])}}
    return info


def library_key(library) -> str:
    """Return the library version plus a digest of the library's files (an edit without a version bump counts)."""
    digest = hashlib.sha256()
    root = Path(library.root)
    paths = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts) if root.is_dir() else []
    if isinstance(library, LibraryRef):
        countries = library.countries_path
    else:
        countries = (library.countries or {}).get("path") if isinstance(library.countries, dict) else None
    if countries and Path(countries).is_file() and not Path(countries).resolve().is_relative_to(root.resolve()):
        paths.append(Path(countries))
    for path in paths:
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path).encode("utf-8", "replace"))
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return f"{library.version}+{digest.hexdigest()[:12]}"


def tool_key(engine: str | None = None) -> str:
    """Return clausegen.__version__ plus a digest of the review code (so a changed reviewer never reuses old results)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    review_modules = [*package.glob("*.py")] + [p for name in REVIEW_PACKAGES for p in package.glob(f"{name}/*.py")]
    for path in sorted(review_modules):
        if path.name not in NOT_REVIEW_CODE or path.parent != package:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    if SCORER_FILE.is_file():  # the learned scorer's weights
        digest.update(b"scorer.bin" + SCORER_FILE.read_bytes())
    key = f"{__version__}+{digest.hexdigest()[:12]}"
    key += _limits_key()
    return key if not engine or engine == DEFAULT_ENGINE else f"{key}+{engine}"


def _limits_key() -> str:
    """Return "" for the default ingest limits, else a digest of the CLAUSEGEN_* limits in force (they change what
    the reviewer refuses, and the OCR mode and limits what it reads). max_file_bytes is left out: the audit refuses bigger files itself, before review, and
    has each worker read up to --max-bytes (see _worker_main)."""
    from dataclasses import replace

    from clausegen.ingest import Limits

    limits = replace(Limits.from_env(), max_file_bytes=Limits().max_file_bytes)  # ClausegenError for a bad value
    return "" if limits == Limits() else "+limits-" + hashlib.sha256(repr(limits).encode()).hexdigest()[:8]


def required_key(required: set[str] | None) -> str:
    """Return the part of the cache key that names the required safeguards (the review marks them)."""
    return "default" if required is None else ",".join(sorted(required)) or "none"


class Cache:
    """The audit's SQLite database in OUTDIR: reviews keyed by content, and a stat cache of file hashes.

    WAL mode, one writer (the parent process), one commit per result: a kill at any moment loses at most the
    result being written; everything committed is reused by the next run.
    """

    def __init__(self, path: Path):
        self.path = path
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as exc:  # not a database, or damaged beyond use: keep it aside, start afresh
            aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{path}{suffix}").exists():
                    os.replace(f"{path}{suffix}", f"{aside}{suffix}")
            print(f"warning: {one_line(path)}: unusable cache ({one_line(exc)}); moved to {aside.name}, starting "
                  "afresh", file=sys.stderr)
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
            row = db.execute("SELECT v FROM meta WHERE k='schema'").fetchone()
            if row and row[0] != SCHEMA_VERSION:
                db.execute("DROP TABLE IF EXISTS reviews")
                db.execute("DROP TABLE IF EXISTS files")
            db.execute("""CREATE TABLE IF NOT EXISTS reviews (
                sha256 TEXT NOT NULL, fmt TEXT NOT NULL, library TEXT NOT NULL, tool TEXT NOT NULL,
                required TEXT NOT NULL, review TEXT NOT NULL, error TEXT, transient INTEGER NOT NULL DEFAULT 0,
                seconds REAL, run INTEGER, reviewed_at REAL,
                PRIMARY KEY (sha256, fmt, library, tool, required))""")
            db.execute("""CREATE TABLE IF NOT EXISTS files (
                path BLOB PRIMARY KEY, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, ino INTEGER, dev INTEGER,
                sha256 TEXT NOT NULL)""")
            # damage inside the file (a torn page, bytes overwritten) shows only when a query reaches it: look for
            # it now, while the cache can still be set aside, rather than fail later in the middle of the run
            check = db.execute("PRAGMA quick_check(1)").fetchone()
            if not check or check[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check[0] if check else 'no answer'}")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            run = db.execute("SELECT v FROM meta WHERE k='runs'").fetchone()
            self.run = int(run[0]) + 1 if run else 1
            db.execute("INSERT OR REPLACE INTO meta VALUES ('runs', ?)", (str(self.run),))
            db.commit()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def known_hashes(self) -> dict[bytes, tuple[tuple[int, ...], str]]:
        """Return path -> (stat stamp, sha256) remembered from earlier runs."""
        return {bytes(p): ((s, m, c, i, d), h)
                for p, s, m, c, i, d, h in self.db.execute("SELECT path, size, mtime_ns, ctime_ns, ino, dev, sha256 FROM files")}

    def remember_hashes(self, entries: list[FileEntry]) -> None:
        """Store the stat stamp and hash of every entry (and forget files no longer seen)."""
        self.db.execute("DELETE FROM files")
        self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [(os.fsencode(e.path), *e.stamp, e.sha256) for e in entries if e.sha256])
        self.db.commit()

    def done(self, keyspace: tuple[str, str, str]) -> set[tuple[str, str]]:
        """Return the (sha256, fmt) pairs with a final (not transient) result under this library/tool/required key."""
        rows = self.db.execute("SELECT sha256, fmt, CASE WHEN json_valid(review) THEN "
                               "coalesce(json_type(review, '$.safeguards') = 'array', 0) ELSE 0 END FROM reviews "
                               "WHERE library=? AND tool=? AND required=? AND transient=0", keyspace).fetchall()
        bad = [(sha, fmt) for sha, fmt, ok in rows if not ok]
        if bad:  # a damaged row is reviewed again (and replaced), never read back as a review
            print(f"warning: {self.path}: {len(bad)} unreadable cache entr{'ies' if len(bad) != 1 else 'y'}; "
                  "reviewing those files again", file=sys.stderr)
        return {(sha, fmt) for sha, fmt, ok in rows if ok}

    def put(self, sha: str, fmt: str, keyspace: tuple[str, str, str], review_json: str, error: str | None,
            transient: bool, seconds: float) -> None:
        """Store one result and commit at once."""
        self.db.execute("INSERT OR REPLACE INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (sha, fmt, *keyspace, review_json, error, int(transient), seconds, self.run, time.time()))
        self.db.commit()

    def get(self, sha: str, fmt: str, keyspace: tuple[str, str, str]) -> str | None:
        row = self.db.execute("SELECT review FROM reviews WHERE sha256=? AND fmt=? AND library=? AND tool=? AND required=?",
                              (sha, fmt, *keyspace)).fetchone()
        return row[0] if row else None

    def library_info(self, key: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT v FROM meta WHERE k=?", (f"library:{key}",)).fetchone()
        try:
            return json.loads(row[0]) if row else None
        except ValueError:
            return None

    def remember_library_info(self, key: str, info: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"library:{key}", json.dumps(info)))
        self.db.commit()

    REPORT_COUNTS = ("documents", "errors", "duplicates", "missing_required", "documents_missing_required")

    def reports_current(self, fingerprint: str, outdir: Path, summary: "AuditSummary") -> bool:
        """Return True (and fill summary's counts) when the reports on disk were written from exactly these inputs
        and are untouched since; a fully cached re-run then has nothing to rewrite."""
        row = self.db.execute("SELECT v FROM meta WHERE k='reports'").fetchone()
        if not row:
            return False
        try:
            saved = json.loads(row[0])
            if saved["fingerprint"] != fingerprint:
                return False
            for name in OUTPUTS:
                st = os.stat(outdir / name)
                if [st.st_size, st.st_mtime_ns] != saved["files"][name]:
                    return False
            for key in self.REPORT_COUNTS:
                setattr(summary, key, int(saved["counts"][key]))
        except (OSError, ValueError, KeyError, TypeError):
            return False
        return True

    def remember_reports(self, fingerprint: str, outdir: Path, summary: "AuditSummary") -> None:
        files = {}
        for name in OUTPUTS:
            st = os.stat(outdir / name)
            files[name] = [st.st_size, st.st_mtime_ns]
        value = {"fingerprint": fingerprint, "files": files,
                 "counts": {key: getattr(summary, key) for key in self.REPORT_COUNTS}}
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('reports', ?)", (json.dumps(value),))
        self.db.commit()

    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass


def hash_entries(entries: list[FileEntry], cache: Cache, max_bytes: int,
                 before_hashing: Callable[[], None] | None = None) -> None:
    """Fill in each entry's sha256 (reusing the stat cache) or its pre-review error; call before_hashing first
    when some file is new or changed."""
    known = cache.known_hashes()
    todo = []
    for entry in entries:
        if entry.size == 0:  # named like the reviewer's own errors: "path: problem"
            entry.error = f"{escape_controls(entry.rel)}: empty file (0 bytes)"
        elif entry.size > max_bytes:
            entry.error = f"{escape_controls(entry.rel)}: file is {entry.size:,} bytes, over the size limit of {max_bytes:,} bytes"
        else:
            hit = known.get(os.fsencode(entry.path))
            if hit and tuple(hit[0]) == entry.stamp:
                entry.sha256 = hit[1]
            else:
                todo.append(entry)
    if todo and before_hashing is not None:
        before_hashing()
    if len(todo) > 32:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(_hash_one, todo))
    else:
        for entry in todo:
            _hash_one(entry)
    cache.remember_hashes(entries)


def _hash_one(entry: FileEntry) -> None:
    digest = hashlib.sha256()
    try:
        with open(entry.path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError as exc:
        entry.error = f"{escape_controls(entry.rel)}: cannot read the file: {exc.strerror or one_line(exc)}"
        return
    entry.sha256 = digest.hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# Workers: warm processes, one pipe each, a deadline per file
# ---------------------------------------------------------------------------------------------------------------

class _Deadline(BaseException):
    """Raised by SIGALRM inside a worker; a BaseException so that `except Exception` in a parser cannot swallow it."""


def _on_alarm(signum, frame):
    raise _Deadline()


@dataclass
class _Task:
    tid: int
    path: str
    name: str
    fmt: str
    sha256: str
    size: int  # bytes when hashed: the progress display's measure of work


def _read_file(path: str, max_bytes: int) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ClausegenError(f"file is over the size limit of {max_bytes:,} bytes")
    return data


def _peak_kb() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _worker_main(conn, library, required, engine, timeout, max_bytes, limit_env=None) -> None:
    """A worker process: warm up once (engine, matchers), then review the tasks the parent sends, one result each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    if limit_env is not None:  # the parent's CLAUSEGEN_<LIMIT> and --ocr settings, not the older fork server's
        for key in _limit_names():
            os.environ.pop(key, None)
        os.environ.update(limit_env)
    # The reviewer's own file-size limit follows --max-bytes (this process only): a file the audit let through is
    # not refused again for its size.
    os.environ["CLAUSEGEN_MAX_FILE_BYTES"] = str(max_bytes)
    try:
        func = resolve_engine(engine)
        try:  # build the matchers once; a failure here shows up again, per file, where it belongs
            func(WARMUP_TEXT, "warmup.txt", library, required=required)
        except Exception:
            pass
    except BaseException as exc:  # cannot import the reviewer: the whole audit must stop, not each file
        conn.send(("failed", one_line(f"{type(exc).__name__}: {exc}")))
        return
    import gc

    gc.freeze()  # the library and matchers are long-lived: keep them out of the collector's way
    signal.signal(signal.SIGALRM, _on_alarm)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        for task in batch:
            try:
                conn.send(_run_task(task, func, library, required, timeout, max_bytes))
            except (BrokenPipeError, OSError):
                return


def _run_task(task: _Task, func, library, required, timeout, max_bytes) -> tuple:
    """Review one file under a deadline; return the result message for the parent."""
    started = time.perf_counter()
    sha, transient, review = task.sha256, False, None
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            data = _read_file(task.path, max_bytes)
            sha = hashlib.sha256(data).hexdigest()
            review = audit_document(data, task.name, library, required, func)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Deadline:
        review, transient = error_review(task.name, f"timed out after {timeout:g} s", required), True
    except MemoryError:
        review, transient = error_review(task.name, "ran out of memory while reviewing", required), True
    except FileNotFoundError:
        review, transient = error_review(task.name, "file disappeared during the audit", required), True
    except OSError as exc:
        review, transient = error_review(task.name, f"cannot read the file: {exc.strerror or one_line(exc)}", required), True
    except ClausegenError as exc:
        review = error_review(task.name, one_line(exc), required)
    except Exception as exc:  # a bug in the reviewer on this file: record it, keep going
        review = error_review(task.name, one_line(f"internal error in the reviewer: {type(exc).__name__}: {exc}"), required)
    errors = review.get("errors") or []
    return ("result", task.tid, sha, json.dumps(review, ensure_ascii=False), errors[0] if errors else None,
            transient, time.perf_counter() - started, _peak_kb())


@dataclass
class _Worker:
    process: Any
    conn: Any
    ready: bool = False
    outstanding: deque = field(default_factory=deque)
    head_since: float = 0.0
    started: float = 0.0


def _start_forkserver(engine: str | None, library) -> None:
    """Start the fork server now, if that is the start method, and have it warm the reviewer for this library.

    The server imports clausegen.audit (its preload); with _WARM_ENV set in its environment that import loads the
    library and runs one review, so the detector is built once, in the server, while this process is still
    validating the library, and every worker forked from the server (including replacements for workers killed
    at a deadline) starts warm. The variable is set only for the moment the server is spawned."""
    ctx = _mp_context((engine or DEFAULT_ENGINE).partition(":")[0])
    if ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    countries = library.countries_path if isinstance(library, LibraryRef) else \
        ((library.countries or {}).get("path") if isinstance(library.countries, dict) else None)
    os.environ[_WARM_ENV] = json.dumps([str(library.root), countries, engine or DEFAULT_ENGINE])
    try:
        forkserver.ensure_running()  # no-op when the server already runs (it stays warm for its first library)
    finally:
        os.environ.pop(_WARM_ENV, None)


def _warm_forkserver_from_env() -> None:
    """Run in the fork server only (see _start_forkserver): load the library, build the detector, freeze the GC."""
    spec = os.environ.pop(_WARM_ENV, None)
    if not spec:
        return
    try:
        root, countries, engine = json.loads(spec)
        from clausegen.library import load_library

        # the parent validates the same library meanwhile; here only what reviewing needs is read
        library = load_library(root, countries, check_detection=False, check_templates=False)
        resolve_engine(engine)(WARMUP_TEXT, "warmup.txt", library, required=None)
        import gc

        gc.collect()
        gc.freeze()  # keep the shared, long-lived objects out of the collector: fewer copy-on-write page faults
    except Exception:  # the workers warm themselves; a real problem surfaces there
        pass


def _mp_context(engine_module: str):
    """Return the multiprocessing context: forkserver (cheap, thread-safe forks of a pre-imported server) where
    available, else spawn."""
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["clausegen.audit", engine_module])
        return ctx
    return multiprocessing.get_context("spawn")


class _Pool:
    """Worker processes with a per-file deadline. concurrent.futures cannot stop a running task, so the parent keeps
    its own workers: each has a pipe, at most two chunks of tasks in flight, and a clock on the task at the head of
    its queue. A worker past `timeout + grace` is killed and replaced; its head task becomes a timeout row and the
    rest are sent again. A worker that dies (segfault, OOM killer) is handled the same way."""

    def __init__(self, jobs, library, required, engine, timeout, max_bytes, on_result, on_tick, on_ready=None):
        self.ctx = _mp_context((engine or DEFAULT_ENGINE).partition(":")[0])
        self.jobs, self.library, self.required, self.engine = jobs, library, required, engine
        self.timeout, self.max_bytes = timeout, max_bytes
        self.grace = max(1.0, 0.5 * timeout)
        self.on_result, self.on_tick, self.on_ready = on_result, on_tick, on_ready
        self.workers: list[_Worker] = []
        self.pending: deque[_Task] = deque()
        self.ever_ready = False
        self.start_failures = 0
        self.peak_worker_kb = 0
        self.replaced = 0

    def _start(self) -> None:
        parent, child = self.ctx.Pipe(duplex=True)
        process = self.ctx.Process(target=_worker_main, name="clausegen-audit-worker", daemon=True,
                                   args=(child, self.library, self.required, self.engine, self.timeout, self.max_bytes,
                                         {k: os.environ[k] for k in _limit_names() if k in os.environ}))
        process.start()
        child.close()
        self.workers.append(_Worker(process, parent, started=time.monotonic()))

    def _stop(self, worker: _Worker, kill: bool) -> None:
        if worker in self.workers:
            self.workers.remove(worker)
        if kill and worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        worker.conn.close()

    def _lose(self, worker: _Worker, message: str) -> None:
        """A worker died or was killed: blame its head task, resend the rest, start a replacement."""
        if not worker.ready:
            self.start_failures += 1
            if self.start_failures >= 3 and not self.ever_ready:
                raise ClausegenError(f"audit workers cannot start ({message})")
        if worker.outstanding:
            head = worker.outstanding.popleft()
            review = error_review(head.name, message, self.required)
            self.on_result(head, head.sha256, json.dumps(review, ensure_ascii=False), message, True, 0.0)
            self.pending.extendleft(reversed(worker.outstanding))
            worker.outstanding.clear()
        if self.pending and len(self.workers) < self.jobs:
            self.replaced += 1
            self._start()

    def _handle(self, worker: _Worker, message: tuple) -> None:
        kind = message[0]
        if kind == "ready":
            if not self.ever_ready and self.on_ready is not None:
                self.on_ready()
            worker.ready = self.ever_ready = True
        elif kind == "failed":
            raise ClausegenError(f"audit workers cannot start: {message[1]}")
        elif kind == "result":
            _, tid, sha, review_json, error, transient, seconds, peak_kb = message
            task = worker.outstanding.popleft()
            assert task.tid == tid, "worker answered out of order"
            worker.head_since = time.monotonic()
            self.peak_worker_kb = max(self.peak_worker_kb, peak_kb)
            self.on_result(task, sha, review_json, error, transient, seconds)

    def run(self, tasks: list[_Task]) -> None:
        from multiprocessing.connection import wait

        self.pending.extend(tasks)
        chunk = max(1, min(8, len(tasks) // (self.jobs * 8) or 1))
        try:
            for _ in range(min(self.jobs, len(tasks))):
                self._start()
            while self.pending or any(w.outstanding for w in self.workers):
                now = time.monotonic()
                for worker in list(self.workers):  # top up every ready worker to two chunks in flight
                    if worker.ready and self.pending and len(worker.outstanding) <= chunk:
                        batch = [self.pending.popleft() for _ in range(min(chunk, len(self.pending)))]
                        if not worker.outstanding:
                            worker.head_since = now
                        worker.outstanding.extend(batch)
                        try:
                            worker.conn.send(batch)
                        except OSError:
                            pass  # it died; its sentinel says so below
                if not self.workers:
                    self._start()
                waits = [w.head_since + self.timeout + self.grace - now for w in self.workers if w.outstanding]
                ready = wait([w.conn for w in self.workers] + [w.process.sentinel for w in self.workers],
                             timeout=max(0.0, min(waits + [0.25])))
                for obj in ready:
                    worker = next((w for w in self.workers if obj is w.conn or obj == w.process.sentinel), None)
                    if worker is None:
                        continue  # already handled through its other handle
                    try:
                        while worker.conn.poll():
                            self._handle(worker, worker.conn.recv())
                    except (EOFError, OSError):
                        pass
                    if obj == worker.process.sentinel or not worker.process.is_alive():
                        worker.process.join(1)
                        code = worker.process.exitcode
                        self._stop(worker, kill=True)
                        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                        self._lose(worker, f"the reviewer crashed on this file ({how})")
                now = time.monotonic()
                for worker in list(self.workers):
                    if worker.outstanding and now > worker.head_since + self.timeout + self.grace:
                        self._stop(worker, kill=True)
                        self._lose(worker, f"timed out after {self.timeout:g} s (worker stopped)")
                    elif not worker.ready and now > worker.started + max(120.0, self.timeout):
                        self._stop(worker, kill=True)
                        self._lose(worker, "worker did not start")
                self.on_tick()
        finally:
            self.close()

    def close(self) -> None:
        for worker in self.workers:
            try:
                worker.conn.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + 2.0
        for worker in list(self.workers):
            worker.process.join(max(0.0, deadline - time.monotonic()))
            self._stop(worker, kill=True)


# ---------------------------------------------------------------------------------------------------------------
# Progress: a rich bar on a terminal, plain periodic lines otherwise (stderr)
# ---------------------------------------------------------------------------------------------------------------

# Reviewing time grows with a file's size plus a fixed cost per file (about 8 KB of text's worth, measured on
# CUAD); the ETA counts work in these units because the largest files go first and a count of files would
# overstate the time left several times over at the start.
FILE_WORK_BYTES = 8192


class _Progress:
    def __init__(self, sizes: list[int], cached: int, jobs: int, mode: bool | None):
        total = len(sizes)
        self.total, self.done, self.started = total, 0, time.monotonic()
        self.work_total = sum(sizes) + FILE_WORK_BYTES * total
        self.work_done = 0
        self.first_ready: float | None = None
        self.interval = float(os.environ.get("CLAUSEGEN_PROGRESS_SECONDS", "5"))
        self.last_line = self.started
        self.last_refresh = 0.0
        tty = sys.stderr.isatty() if mode is None else mode
        self.bar = None
        if mode is False:
            self.enabled = False
            return
        self.enabled = True
        if total == 0:
            return
        if tty:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            # the bar and the ETA follow the work (see FILE_WORK_BYTES), the counter and rate follow files
            self.bar = Progress(TextColumn("[bold]reviewing[/]"), BarColumn(), TextColumn("{task.fields[files]}"),
                                TextColumn("{task.fields[rate]}"), TextColumn("ETA {task.fields[eta]}"),
                                TextColumn("elapsed"), TimeElapsedColumn(),
                                console=Console(stderr=True), auto_refresh=False, transient=False)
            self.task = self.bar.add_task("review", total=self.work_total, files=f"0/{total}", rate="", eta="-:--:--")
            self.bar.start()
        else:
            print(f"audit: {total} file{'s' if total != 1 else ''} to review ({cached} from cache), "
                  f"{jobs} worker{'s' if jobs != 1 else ''}", file=sys.stderr, flush=True)

    def begin(self) -> None:
        """The first worker is ready: measure the rate (and so the ETA) from now, not from start-up."""
        if self.first_ready is None:
            self.first_ready = time.monotonic()

    def rate(self) -> float:
        """Return the files reviewed per second since the first worker was ready."""
        if self.first_ready is None:
            return 0.0
        elapsed = time.monotonic() - self.first_ready
        return self.done / elapsed if elapsed > 0 else 0.0

    def eta(self) -> float | None:
        """Return the seconds left at the rate of work so far, or None before there is a rate."""
        if self.first_ready is None or not self.work_done:
            return None
        elapsed = time.monotonic() - self.first_ready
        return (self.work_total - self.work_done) * elapsed / self.work_done

    def advance(self, size: int) -> None:
        self.done += 1
        self.work_done += size + FILE_WORK_BYTES

    def tick(self, force: bool = False) -> None:
        if not self.enabled or self.total == 0:
            return
        now = time.monotonic()
        rate, eta = self.rate(), self.eta()
        if self.bar is not None:
            if force or now - self.last_refresh >= 0.1:
                text = "starting workers" if self.first_ready is None else f"{rate:.1f} files/s"
                left = int(eta or 0)
                clock = "-:--:--" if eta is None else f"{left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}"
                self.bar.update(self.task, completed=self.work_done, files=f"{self.done}/{self.total}", rate=text,
                                eta=clock)
                self.bar.refresh()
                self.last_refresh = now
        elif force or now - self.last_line >= self.interval:
            if self.first_ready is None:
                print(f"audit: starting workers ({now - self.started:.0f} s)", file=sys.stderr, flush=True)
            else:
                eta_text = "ETA unknown" if eta is None else f"ETA {eta:.0f} s"
                print(f"audit: {self.done}/{self.total} files reviewed ({rate:.1f} files/s, {eta_text})",
                      file=sys.stderr, flush=True)
            self.last_line = now

    def close(self) -> None:
        if self.bar is not None:
            self.tick(force=True)
            self.bar.stop()
            self.bar = None


# ---------------------------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class AuditSummary:
    """What an audit did. `lines()` is printed by the CLI; `missing_required` drives --fail-on."""

    outdir: Path
    files: int = 0  # contract files found (all paths)
    documents: int = 0  # rows in the outputs: unique (content, format) plus files that could not be hashed
    reviewed: int = 0  # reviewed in this run
    cached: int = 0  # taken from the cache
    errors: int = 0  # rows with an error
    duplicates: int = 0  # extra paths of documents seen under more than one path
    skipped: list[SkippedFile] = field(default_factory=list)
    missing_required: int = 0  # required safeguards reported missing, over all reviewed documents
    documents_missing_required: int = 0
    seconds: float = 0.0
    review_seconds: float = 0.0  # wall time of the reviewing phase
    report_seconds: float = 0.0
    jobs: int = 0
    peak_worker_kb: int = 0
    peak_parent_kb: int = 0
    workers_replaced: int = 0
    outputs: list[Path] = field(default_factory=list)
    reports_unchanged: bool = False  # nothing changed since the last run: the reports on disk are current

    def lines(self) -> list[str]:
        plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
        skipped = Counter(s.reason for s in self.skipped)
        skipped_text = "; ".join(f"{reason} {count}" for reason, count in skipped.most_common(4))
        rate = self.reviewed / self.review_seconds if self.review_seconds > 0 else 0.0
        # the same numbers as the tables and the dashboard: documents = reviewed + errors
        out = [f"{plural(self.documents, 'document')} from {plural(self.files, 'file')}: "
               f"{self.documents - self.errors} reviewed, {self.errors} could not be reviewed (errors), "
               f"{plural(self.duplicates, 'duplicate path')}",
               f"this run: {self.reviewed} processed ({rate:.1f}/s), {self.cached} from cache",
               f"skipped {plural(len(self.skipped), 'file')}" + (f" ({skipped_text})" if skipped_text else "")]
        if self.errors:
            out.append(f"errors: {plural(self.errors, 'document')} could not be reviewed; their safeguards are "
                       "unknown (see the error column of summary.csv)")
        if self.missing_required:
            out.append(f"missing required safeguards: {self.missing_required} in "
                       f"{plural(self.documents_missing_required, 'document')}")
        else:
            out.append("missing required safeguards: none")
        verb = "reports up to date:" if self.reports_unchanged else "wrote"
        out.append(f"{verb} {', '.join(str(p) for p in self.outputs)} ({self.seconds:.1f} s)")
        return out


class _Lock:
    """An exclusive lock on OUTDIR so that two audits never write the same cache and reports."""

    def __init__(self, outdir: Path):
        self.handle = None
        try:
            import fcntl
        except ImportError:  # Windows: SQLite's own locking still keeps the cache consistent
            return
        self.handle = open(outdir / LOCK_NAME, "a+")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.close()
            raise OutputError(f"{outdir}: another audit is writing to this folder")

    def release(self) -> None:
        if self.handle:
            self.handle.close()


def _limit_names() -> list[str]:
    """Return the names of the CLAUSEGEN_<LIMIT> variables (the ingest limits, the OCR mode among them)."""
    from dataclasses import fields

    from clausegen.ingest import Limits

    return [f"CLAUSEGEN_{item.name.upper()}" for item in fields(Limits)]


def _default_max_bytes() -> int:
    """Return the ingest size limit: CLAUSEGEN_MAX_FILE_BYTES applies to the audit too."""
    from clausegen.ingest import Limits

    return int(Limits.from_env().max_file_bytes)


def run_audit(folder, outdir, library, jobs: int | None = None, required: set[str] | None = None,
              max_bytes: int | None = None, timeout: float | None = None, *, engine: str | None = None,
              progress: bool | None = None) -> AuditSummary:
    """Audit every contract under folder into outdir; return the summary.

    jobs: worker processes (default: the usable cores). required: safeguard ids to mark required (None: the
    reviewer's default). max_bytes: refuse larger files (default: the ingest limit). timeout: seconds per file
    (default 60). engine: the per-document function as 'module:function' (default clausegen.review:review_bytes).
    progress: True for the bar, False for silence, None to pick by whether stderr is a terminal.
    Raises OutputError when outdir cannot be used; KeyboardInterrupt after saving (SIGINT and SIGTERM).
    """
    began = time.monotonic()
    folder, outdir = Path(folder), Path(outdir)
    if not folder.is_dir():
        raise ClausegenError(f"{folder}: not a folder")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputError(f"{outdir}: exists and is not a folder")
    except OSError as exc:
        raise OutputError(f"{outdir}: cannot create the output folder ({exc.strerror or exc})")
    if not os.access(outdir, os.W_OK):
        raise OutputError(f"{outdir}: output folder is not writable")
    if jobs is None:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = max(1, int(jobs))
    timeout = float(timeout or DEFAULT_TIMEOUT)
    max_bytes = int(max_bytes or _default_max_bytes())
    keyspace = (library_key(library), tool_key(engine), required_key(required))

    lock = _Lock(outdir)
    cache = Cache(outdir / CACHE_NAME)
    summary = AuditSummary(outdir=outdir, jobs=jobs)
    previous_term = _raise_on_sigterm()
    try:
        entries, skipped = discover(folder, exclude=[outdir])
        summary.files, summary.skipped = len(entries), skipped
        # new or changed files will need the reviewer: the fork server warms it up while they are hashed
        hash_entries(entries, cache, max_bytes, before_hashing=lambda: _start_forkserver(engine, library))
        groups: dict[tuple[str, str], list[FileEntry]] = {}
        for entry in entries:
            if not entry.error:
                groups.setdefault((entry.sha256, entry.fmt), []).append(entry)
        done = cache.done(keyspace)
        # largest files first: the workers then finish together instead of one reviewing a big file alone at the end
        tasks = [_Task(i, members[0].path, members[0].rel, fmt, sha, members[0].size)
                 for i, ((sha, fmt), members) in enumerate(sorted(groups.items(),
                                                                  key=lambda kv: (-kv[1][0].size, kv[1][0].rel)))
                 if (sha, fmt) not in done]
        summary.cached = len(groups) - len(tasks)
        jobs = summary.jobs = min(jobs, len(tasks)) or jobs
        bar = _Progress([task.size for task in tasks], summary.cached, jobs, progress)

        def on_result(task, sha, review_json, error, transient, seconds):
            cache.put(sha, task.fmt, keyspace, review_json, error, transient, seconds)
            if sha != task.sha256:  # the file changed between hashing and reviewing: store both ways
                cache.put(task.sha256, task.fmt, keyspace, review_json, error, True, seconds)
            summary.reviewed += 1
            bar.advance(task.size)
            bar.tick()

        review_began = time.monotonic()
        pool = None
        try:
            if tasks:
                _start_forkserver(engine, library)  # unless started above: it warms up while this process loads the library
                loaded = _loaded(library)
                cache.remember_library_info(keyspace[0], library_info(loaded))
                _prewarm_reports()
                pool = _Pool(jobs, loaded, required, engine, timeout, max_bytes, on_result, bar.tick, bar.begin)
                pool.run(tasks)
        except KeyboardInterrupt:
            bar.close()
            print(f"interrupted: {summary.reviewed} of {len(tasks)} files reviewed in this run; finished results are "
                  f"saved in {outdir / CACHE_NAME}; run the same command again to resume", file=sys.stderr, flush=True)
            raise
        finally:
            bar.close()
        summary.review_seconds = time.monotonic() - review_began
        if pool is not None:
            summary.peak_worker_kb, summary.workers_replaced = pool.peak_worker_kb, pool.replaced
        report_began = time.monotonic()
        fingerprint = report_fingerprint(folder, entries, groups, skipped, keyspace)
        if not summary.reviewed and cache.reports_current(fingerprint, outdir, summary):
            summary.outputs = [outdir / name for name in OUTPUTS]
            summary.reports_unchanged = True
        else:
            info = cache.library_info(keyspace[0])
            if info is None:
                info = library_info(_loaded(library))
                cache.remember_library_info(keyspace[0], info)
            summary.outputs = write_reports(outdir, folder, entries, groups, skipped, cache, keyspace, info,
                                            required, summary)
            cache.remember_reports(fingerprint, outdir, summary)
        summary.report_seconds = time.monotonic() - report_began
    finally:
        signal_restore(previous_term)
        cache.close()
        lock.release()
    summary.peak_parent_kb = _peak_kb()
    summary.seconds = time.monotonic() - began
    return summary


def _prewarm_reports() -> None:
    """Import the report writers (openpyxl takes ~0.5 s) in a thread while the workers review: the parent is idle."""
    import threading

    def load():
        try:
            import openpyxl  # noqa: F401

            import clausegen.reports.dashboard  # noqa: F401
        except Exception:  # the real import later reports any problem
            pass

    threading.Thread(target=load, name="clausegen-prewarm", daemon=True).start()


def _raise_on_sigterm():
    """Make SIGTERM behave like Ctrl-C while the audit runs (workers stopped, a clear message, exit 130)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise KeyboardInterrupt()

    return signal.signal(signal.SIGTERM, handler)


def signal_restore(previous) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


# ---------------------------------------------------------------------------------------------------------------
# Reports, written from the database
# ---------------------------------------------------------------------------------------------------------------

STATUS_RANK = {"missing": 0, "partial": 1, "present": 2}


def row_counts(review: dict[str, Any]) -> dict[str, Any]:
    """Return the per-document counts the tables show; an error row counts in none of them (it is counted apart)."""
    safeguards = [] if review.get("errors") else review.get("safeguards") or []
    statuses = Counter(s.get("status") for s in safeguards)
    missing_required = [s["id"] for s in safeguards if s.get("required") and s.get("status") == "missing"]
    return {"present": statuses["present"], "partial": statuses["partial"], "missing": statuses["missing"],
            "missing_required": len(missing_required), "missing_required_ids": missing_required}


def sort_key(row: dict[str, Any]):
    """Worst gaps first: reviewed documents by missing required, then missing, then partial; errors last."""
    counts = row["counts"]
    return (bool(row["review"].get("errors")), -counts["missing_required"], -counts["missing"], -counts["partial"],
            row["review"]["document"])


def report_fingerprint(folder: Path, entries, groups, skipped, keyspace) -> str:
    """Return a digest of everything the reports are made of: the report code, the folder, the cache key space,
    every file's content hash or pre-review error, and the skipped list."""
    digest = hashlib.sha256()
    reports = Path(__file__).parent / "reports"
    for source in (Path(__file__), reports / "tables.py", *sorted(reports.glob("dashboard.*"))):
        digest.update(source.read_bytes() if source.is_file() else b"")
    files = [[e.rel, e.sha256, e.fmt, e.error] for e in entries]
    digest.update(json.dumps([os.path.abspath(folder), list(keyspace), files, [[s.rel, s.reason] for s in skipped]],
                             ensure_ascii=True).encode())
    return digest.hexdigest()


def write_reports(outdir: Path, folder: Path, entries, groups, skipped, cache: Cache, keyspace, info,
                  required, summary: AuditSummary) -> list[Path]:
    """Write results.jsonl (path order), summary.csv/xlsx and dashboard.html (worst gaps first) and skipped.csv."""
    rows: list[dict[str, Any]] = []
    jsonl = _AtomicFile(outdir / "results.jsonl")
    try:
        items: list[tuple[str, Any]] = [(members[0].rel, key) for key, members in groups.items()]
        items += [(e.rel, e) for e in entries if e.error]
        for rel, item in sorted(items, key=lambda pair: pair[0]):
            if isinstance(item, FileEntry):
                review, paths, sha = error_review(item.rel, item.error, required), [item], None
            else:
                paths, sha = groups[item], item[0]
                text = cache.get(*item, keyspace)
                review = as_error_row(json.loads(text)) if text else \
                    error_review(rel, "no result (the run was interrupted)", required)
            review["document"] = paths[0].rel
            record = dict(review)
            record["path"] = printable(os.path.abspath(paths[0].path))
            record["sha256"] = sha
            record["duplicates"] = [p.rel for p in paths[1:]]
            jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")
            rows.append({"review": review, "path": record["path"], "sha256": sha, "duplicates": record["duplicates"],
                         "counts": row_counts(review)})
        jsonl.commit()
    finally:
        jsonl.discard()
    rows.sort(key=sort_key)
    summary.documents = len(rows)
    summary.errors = sum(1 for r in rows if r["review"].get("errors"))
    summary.duplicates = sum(len(r["duplicates"]) for r in rows)
    summary.missing_required = sum(r["counts"]["missing_required"] for r in rows)
    summary.documents_missing_required = sum(1 for r in rows if r["counts"]["missing_required"])
    meta = {"folder": printable(os.path.abspath(folder)), "library": keyspace[0], "tool": keyspace[1],
            "required": "reviewer default" if required is None else ", ".join(sorted(required)) or "none",
            "generated": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "files": summary.files}
    from clausegen.reports.dashboard import render_dashboard
    from clausegen.reports.tables import write_tables

    *tables, skipped_csv = write_tables(outdir, rows, skipped, info, meta, _AtomicFile)
    written = [outdir / "results.jsonl", *tables]

    html = render_dashboard(rows, skipped, info, meta)
    with _AtomicFile(outdir / "dashboard.html") as handle:
        handle.write(html)
    written.append(outdir / "dashboard.html")
    written.append(skipped_csv)
    return written


class _AtomicFile:
    """A text file written to a temporary name in the same folder and renamed into place on commit."""

    def __init__(self, path: Path, newline: str | None = None):
        self.path = path
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self.handle = open(self.tmp, "w", encoding="utf-8", newline=newline)
        self.committed = False

    def write(self, text: str) -> None:
        self.handle.write(text)

    def commit(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.tmp, self.path)
        self.committed = True

    def discard(self) -> None:
        if not self.committed:
            self.handle.close()
            try:
                os.unlink(self.tmp)
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.discard()


_warm_forkserver_from_env()  # a no-op everywhere but in a fork server started by _start_forkserver
