"""Reports, written from the database: row counts, order, fingerprint, and atomic files."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clausegen.audit.cache import Cache
from clausegen.audit.walk import FileEntry, printable
from clausegen.audit.work import as_error_row, error_review

if TYPE_CHECKING:
    from clausegen.audit.run import AuditSummary

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
    reports = Path(__file__).resolve().parent.parent / "reports"
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
