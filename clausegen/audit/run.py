"""The run: lock, walk, hash, cache lookup, workers, reports; interrupts and the summary."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from clausegen.errors import ClausegenError, OutputError
from clausegen.audit.cache import Cache, _loaded, hash_entries, library_info, library_key, required_key, tool_key
from clausegen.audit.outputs import report_fingerprint, write_reports
from clausegen.audit.progress import _Progress
from clausegen.audit.walk import FileEntry, SkippedFile, discover
from clausegen.audit.work import CACHE_NAME, DEFAULT_TIMEOUT, LOCK_NAME, OUTPUTS
from clausegen.audit.workers import _peak_kb, _Pool, _start_forkserver, _Task

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
