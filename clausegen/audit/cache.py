"""Cache keys (library, tool, required safeguards) and the SQLite cache of reviews."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from clausegen import __version__
from clausegen.errors import escape_controls
from clausegen.model import SAFEGUARD_IDS
from clausegen.audit.walk import FileEntry
from clausegen.audit.work import DEFAULT_ENGINE, OUTPUTS, SCHEMA_VERSION, one_line

if TYPE_CHECKING:
    from clausegen.audit.run import AuditSummary

# Modules whose code does not change a review; every other clausegen/*.py, and every module of the packages in
# REVIEW_PACKAGES, is part of the tool key (this package, the audit, is not; nor the DOCX writer, writer/).
NOT_REVIEW_CODE = {"cli.py", "demo.py", "__main__.py", "generate.py", "profile.py",
                   "risk.py", "render.py", "gate.py", "check.py", "memo.py"}
REVIEW_PACKAGES = ("ingest", "detect", "library")
PACKAGE = Path(__file__).resolve().parent.parent  # clausegen/
SCORER_FILE = PACKAGE / "detect" / "scorer.bin"  # detect.scorer.MODEL_FILE, without numpy


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
    package = PACKAGE
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
