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

One module per step: `work` (the unit of work, error rows), `walk` (the folder), `cache` (keys and the SQLite
cache), `workers` (the process pool), `progress`, `run` (`run_audit`), `outputs` (the reports from the database).
"""

from clausegen.audit.cache import LibraryRef, library_info, tool_key
from clausegen.audit.outputs import row_counts, sort_key, write_reports
from clausegen.audit.progress import FILE_WORK_BYTES
from clausegen.audit.run import AuditSummary, run_audit
from clausegen.audit.walk import FileEntry, SkippedFile, discover
from clausegen.audit.work import OUTPUTS, SUPPORTED, as_error_row, audit_document, error_review

__all__ = ["AuditSummary", "FILE_WORK_BYTES", "FileEntry", "LibraryRef", "OUTPUTS", "SUPPORTED", "SkippedFile",
           "as_error_row", "audit_document", "discover", "error_review", "library_info", "row_counts", "run_audit",
           "sort_key", "tool_key", "write_reports"]
