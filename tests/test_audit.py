"""The batch audit: a mixed folder end to end, cache and resume after kill -9 and SIGINT, timeouts and crashed
workers, report contents (CSV, XLSX), progress output, and the hostile-input
fault test (1,000 files, 10% broken, killed part way and resumed)."""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clausegen.audit import FILE_WORK_BYTES, OUTPUTS, SkippedFile, audit_document, discover, error_review, run_audit
from clausegen.audit.progress import _Progress
from clausegen.reports.tables import CSV_COLUMNS, EVIDENCE_COLUMNS
from clausegen.errors import ClausegenError
from clausegen.model import SAFEGUARD_IDS, Finding, Review

from conftest import PROFILES, REPO, audit_cli, make_audit_folder, read_jsonl, write_contracts

TEST_ENGINE = "test_audit:fake_engine"


# ---- a stand-in reviewer for the scheduling tests (runs inside the workers; imported there by name) ----

def fake_engine(data: bytes, name: str, library, required=None) -> Review:
    """Review by keyword, with behaviours chosen by the file name: slow (sleeps: SIGALRM stops it), stuck (blocks
    SIGALRM, as C code would: the parent must kill the worker), crash (the process dies), bug (raises)."""
    if "slow" in name:
        time.sleep(30)
    if "stuck" in name:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(30)
    if "crash" in name:
        os.kill(os.getpid(), signal.SIGKILL)
    if "bug" in name:
        raise ZeroDivisionError("division by zero")
    text = data.decode("utf-8", "replace").lower()
    findings = [Finding(sid, "present" if sid.split("_")[0] in text else "missing", 1.0, required=sid in (required or ()))
                for sid in SAFEGUARD_IDS]
    return Review(name, "test", findings)


# ---- the mixed folder, end to end through the CLI ----

def test_mixed_folder_end_to_end(tmp_path, capsys, library):
    folder, expect = make_audit_folder(tmp_path / "in")
    out = tmp_path / "out"
    code = audit_cli(folder, "-o", out, "--max-bytes", 200_000)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Traceback" not in captured.err

    rows = read_jsonl(out / "results.jsonl")
    by_doc = {r["document"]: r for r in rows}
    # one row per document; the duplicate is folded into its twin
    assert len(rows) == len(by_doc) == len(expect["good"]) + len(expect["broken"])
    listed = [r["document"] for r in rows] + [d for r in rows for d in r["duplicates"]]
    assert sorted(listed) == sorted(list(expect["good"]) + list(expect["broken"]) + list(expect["duplicates"]))
    for copy, original in expect["duplicates"].items():  # the first path in sort order names the document
        first, second = sorted([copy, original])
        assert by_doc[first]["duplicates"] == [second]
        by_doc.setdefault(original, by_doc[first])
    for row in rows:  # every row follows the review contract, plus path and hash
        assert [s["id"] for s in row["safeguards"]] == list(SAFEGUARD_IDS)
        assert {"document", "doc_type", "safeguards", "errors", "path", "sha256", "duplicates"} <= set(row)
        for s in row["safeguards"]:  # "error" only, and always, in the rows of files that could not be reviewed
            assert s["status"] in (("error",) if row["errors"] else ("present", "partial", "missing"))
            assert {"id", "status", "required", "score", "evidence", "missing_elements", "explanation"} <= set(s)
    for name in expect["good"]:
        assert by_doc[name]["errors"] == [], (name, by_doc[name]["errors"])
        assert re.fullmatch(r"[0-9a-f]{64}", by_doc[name]["sha256"])
    for name, reason in expect["broken"].items():
        row = by_doc[name]
        assert len(row["errors"]) == 1 and "\n" not in row["errors"][0]
        assert re.search(reason, row["errors"][0], re.I), (name, row["errors"])
        assert all(s["status"] == "error" and s["evidence"] == [] for s in row["safeguards"])
        assert all(s["explanation"] == f"not reviewed: {row['errors'][0]}" for s in row["safeguards"])
    strong = by_doc[expect["strong"]]
    assert sum(s["status"] == "present" for s in strong["safeguards"]) >= 8
    assert all(s["evidence"] for s in strong["safeguards"] if s["status"] != "missing")

    # skipped files and folders are listed with a reason
    with open(out / "skipped.csv", newline="", encoding="utf-8") as handle:
        skipped = {row["path"]: row["reason"] for row in csv.DictReader(handle)}
    for name, reason in expect["skipped"].items():
        assert re.search(reason, skipped.get(name, ""), re.I), (name, skipped)

    # summary.csv: contracts x safeguards, worst gaps first, errors last
    with open(out / "summary.csv", newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    assert table[0] == CSV_COLUMNS
    body = table[1:]
    assert len(body) == len(rows)
    col = {name: i for i, name in enumerate(CSV_COLUMNS)}
    for line in body:
        row = by_doc[line[col["document"]]]
        assert [line[col[sid]] for sid in SAFEGUARD_IDS] == [s["status"] for s in row["safeguards"]]
        assert line[col["doc_type"]] == row["doc_type"]
        assert line[col["error"]] == (row["errors"][0] if row["errors"] else "")
        assert int(line[col["missing"]]) == sum(s["status"] == "missing" for s in row["safeguards"])
        if row["errors"]:  # counted apart: in none of the status counts
            assert [line[col[c]] for c in ("present", "partial", "missing", "missing_required")] == ["0"] * 4
    errors_seen = [bool(line[col["error"]]) for line in body]
    assert errors_seen == sorted(errors_seen)  # all reviewed rows before all error rows
    reviewed = [int(line[col["missing"]]) for line in body if not line[col["error"]]]
    assert reviewed == sorted(reviewed, reverse=True)

    # summary.xlsx mirrors the CSV, with coloured status cells and the other sheets
    from openpyxl import load_workbook

    book = load_workbook(out / "summary.xlsx", read_only=True)
    assert book.sheetnames == ["Contracts", "Evidence", "Safeguards", "Skipped", "About"]
    sheet = [[("" if v is None else str(v)) for v in r] for r in book["Contracts"].iter_rows(values_only=True)]
    assert sheet[0] == ["Document", "Type", *[library.safeguards[sid].title for sid in SAFEGUARD_IDS], "Present",
                        "Partial", "Missing", "Missing where required", "Could not be reviewed because",
                        "Required safeguards missing", "Path", "SHA-256", "Same content also at"]
    assert len(sheet) == len(table)
    assert [r[:len(SAFEGUARD_IDS) + 2] for r in sheet[1:]] == [r[:len(SAFEGUARD_IDS) + 2] for r in body]
    errors_in_sheet = sum(1 for r in sheet[1:] if r[2] == "error")
    assert errors_in_sheet == len(expect["broken"]) == sum(1 for r in rows if r["errors"])
    totals = {r[0]: r for r in book["Safeguards"].iter_rows(min_row=2, values_only=True)}
    assert set(totals) == set(SAFEGUARD_IDS)
    for sid in SAFEGUARD_IDS:
        ok_rows = [r for r in rows if not r["errors"]]
        present = sum(1 for r in ok_rows for s in r["safeguards"] if s["id"] == sid and s["status"] == "present")
        assert totals[sid][2] == present
    assert {r[0] for r in book["Skipped"].iter_rows(min_row=2, values_only=True)} >= set(expect["skipped"])
    book.close()

    # evidence.csv: one line per quote, one per safeguard without; the same statuses as the summary
    with open(out / "evidence.csv", newline="", encoding="utf-8") as handle:
        evidence = list(csv.DictReader(handle))
    assert list(evidence[0]) == EVIDENCE_COLUMNS
    quotes = [e for e in evidence if e["document"] == strong["document"] and e["quote"]]
    assert [e["quote"] for e in quotes] == [" ".join(q["text"].split()) for s in strong["safeguards"]
                                            for q in s["evidence"]]
    assert [e["clause"] for e in quotes] == [q["section"] for s in strong["safeguards"] for q in s["evidence"]]
    for name in expect["broken"]:
        assert [e["status"] for e in evidence if e["document"] == name] == ["error"] * len(SAFEGUARD_IDS)

    # the summary lines the user sees: the same numbers as the tables
    errors = sum(1 for r in rows if r["errors"])
    assert (f"{len(rows)} documents from {expect['files']} files: {len(rows) - errors} reviewed, {errors} could not "
            f"be reviewed (errors)") in captured.out
    assert f"{len(expect['duplicates'])} duplicate path" in captured.out
    for name in OUTPUTS:
        assert (out / name).is_file()
    assert not list(out.glob(".*.tmp"))  # every report was renamed into place


def test_rerun_reviews_only_new_or_changed_files(tmp_path, capsys, library):
    folder = tmp_path / "in"
    write_contracts(folder, 6)
    out = tmp_path / "out"
    first = run_audit(folder, out, library, jobs=2, progress=False)
    assert (first.reviewed, first.cached) == (6, 0)
    again = run_audit(folder, out, library, jobs=2, progress=False)
    assert (again.reviewed, again.cached, again.documents) == (0, 6, 6)
    assert again.reports_unchanged  # nothing changed: the reports on disk are current
    (folder / "contract_003.txt").write_text("A changed contract. The Customer shall comply with export laws.\n")
    (folder / "new.md").write_text("# New\n\nThe Customer shall respect human rights.\n")
    (folder / "copy_of_001.txt").write_bytes((folder / "contract_001.txt").read_bytes())
    third = run_audit(folder, out, library, jobs=2, progress=False)
    assert (third.reviewed, third.cached, third.documents, third.duplicates) == (2, 5, 7, 1)
    assert not third.reports_unchanged
    rows = read_jsonl(out / "results.jsonl")
    assert len(rows) == 7 and any(r["duplicates"] == ["copy_of_001.txt"] for r in rows)
    (out / "dashboard.html").unlink()  # a report deleted by hand is written again
    fourth = run_audit(folder, out, library, jobs=2, progress=False)
    assert fourth.reviewed == 0 and not fourth.reports_unchanged and (out / "dashboard.html").is_file()


def test_cache_key_includes_required_and_library(tmp_path, library):
    folder = tmp_path / "in"
    write_contracts(folder, 3)
    out = tmp_path / "out"
    run_audit(folder, out, library, jobs=1, progress=False)
    required = run_audit(folder, out, library, jobs=1, required={"export_control"}, progress=False)
    assert required.reviewed == 3  # the review marks required safeguards: another key
    rows = read_jsonl(out / "results.jsonl")
    assert all(s["required"] == (s["id"] == "export_control") for r in rows for s in r["safeguards"])
    assert run_audit(folder, out, library, jobs=1, required={"export_control"}, progress=False).reviewed == 0


def test_unit_of_work_is_a_pure_function(library):
    data = (REPO / "contract_samples" / "contracts" / "reseller_with_flowdown.txt").read_bytes()
    first = audit_document(data, "a.txt", library)
    second = audit_document(bytes(data), "b/c.txt", library)
    assert {**first, "document": ""} == {**second, "document": ""}
    broken = audit_document(b"PK\x03\x04 not really a zip", "x.docx", library)
    assert broken["errors"] and all(s["status"] == "error" for s in broken["safeguards"])
    assert broken == error_review("x.docx", broken["errors"][0])


def test_fail_on_and_exit_codes(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    weak = REPO / "contract_samples" / "contracts" / "weak_purchase_almost_all_missing.txt"
    (folder / "weak.txt").write_bytes(weak.read_bytes())
    (folder / "broken.docx").write_bytes(b"PK\x03\x04junk")
    profile = PROFILES / "facial_recognition_police.yaml"
    assert audit_cli(folder, "-o", tmp_path / "o1", "--profile", profile) == 0
    assert "missing required safeguards:" in capsys.readouterr().out
    assert audit_cli(folder, "-o", tmp_path / "o1", "--profile", profile, "--fail-on", "missing-required") == 1
    rows = read_jsonl(tmp_path / "o1" / "results.jsonl")
    weak_row = next(r for r in rows if r["document"] == "weak.txt")
    assert any(s["required"] and s["status"] == "missing" for s in weak_row["safeguards"])
    # nothing required is missing without a profile that requires it, but broken.docx could not be read: its
    # required safeguards cannot be shown, so missing-required fails, and so does --fail-on error
    (folder / "weak.txt").unlink()
    assert audit_cli(folder, "-o", tmp_path / "o2", "--fail-on", "missing-required") == 1
    assert "failed (--fail-on missing-required): 1 file could not be reviewed" in capsys.readouterr().err
    assert audit_cli(folder, "-o", tmp_path / "o2", "--fail-on", "error") == 1
    (folder / "broken.docx").unlink()
    (folder / "ok.txt").write_bytes((weak.parent / "strong_integrator_all_present.txt").read_bytes())
    assert audit_cli(folder, "-o", tmp_path / "o2", "--fail-on", "missing-required") == 0
    assert audit_cli(folder, "-o", tmp_path / "o2", "--fail-on", "error") == 0
    capsys.readouterr()
    # usage and input errors: exit 2, one line, no traceback
    assert audit_cli(tmp_path / "nope", "-o", tmp_path / "o3") == 2
    (tmp_path / "afile").write_text("x")
    assert audit_cli(folder, "-o", tmp_path / "afile") == 2
    assert audit_cli(folder, "-o", tmp_path / "o4", "--jobs", "0") == 2
    assert audit_cli(folder) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "not a folder" in err and "not a folder" in err


def test_timeouts_crashes_and_bugs_become_rows(tmp_path, library):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("ok_1.txt", "ok_2.txt", "ok_3.txt", "ok_4.txt"):
        (folder / name).write_text(f"{name}: export control and human rights terms apply.\n")
    for name in ("slow.txt", "stuck.txt", "crash.txt", "bug.txt"):
        (folder / name).write_text(f"{name}\n")
    started = time.monotonic()
    summary = run_audit(folder, tmp_path / "out", library, jobs=2, timeout=0.5, engine=TEST_ENGINE, progress=False)
    elapsed = time.monotonic() - started
    assert elapsed < 20, "a stuck worker hung the run"
    rows = {r["document"]: r for r in read_jsonl(tmp_path / "out" / "results.jsonl")}
    assert len(rows) == 8 and summary.errors == 4
    assert rows["slow.txt"]["errors"] == ["timed out after 0.5 s"]
    assert rows["stuck.txt"]["errors"] == ["timed out after 0.5 s (worker stopped)"]
    assert rows["crash.txt"]["errors"][0].startswith("the reviewer crashed on this file (killed by signal 9)")
    assert rows["bug.txt"]["errors"] == ["internal error in the reviewer: ZeroDivisionError: division by zero"]
    for name in ("ok_1.txt", "ok_2.txt", "ok_3.txt", "ok_4.txt"):
        assert rows[name]["errors"] == []
        assert {s["id"]: s["status"] for s in rows[name]["safeguards"]}["export_control"] == "present"
    assert summary.workers_replaced >= 1  # a worker is replaced only while work remains
    # timeouts and crashes may be transient: the next run tries them again; the rest comes from the cache
    again = run_audit(folder, tmp_path / "out", library, jobs=2, timeout=0.5, engine=TEST_ENGINE, progress=False)
    assert (again.reviewed, again.cached) == (3, 5)


def test_discover_handles_loops_unreadable_folders_and_special_files(tmp_path, monkeypatch):
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "deep.txt").write_text("x")
    (root / "a" / "loop").symlink_to(root)  # a symlink loop back to the top
    (root / "a" / "again").symlink_to(root / "a" / "b")  # the same folder twice
    (root / "dangling.txt").symlink_to(root / "nowhere.txt")
    (root / "linked.pdf").symlink_to(root / "a" / "b" / "deep.txt")
    os.mkfifo(root / "pipe.txt")  # reading it would block forever
    (root / "locked").mkdir()
    (root / "locked" / "secret.txt").write_text("x")
    (root / "~$draft.docx").write_bytes(b"lock")
    (root / "out").mkdir()
    (root / "out" / "dashboard.html").write_text("<html>")
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    files, skipped = discover(root, exclude=[root / "out"])
    assert [f.rel for f in files] == ["a/b/deep.txt", "linked.pdf"]
    reasons = {s.rel: s.reason for s in skipped}
    assert reasons["a/loop/"].startswith("symlink loop")
    assert reasons["a/again/"].startswith("symlink loop")  # the real folder is walked, its alias skipped
    assert reasons["dangling.txt"] == "broken symlink"
    assert reasons["pipe.txt"] == "not a regular file"
    assert reasons["locked"].startswith("unreadable folder")
    assert reasons["~$draft.docx"] == "Office lock file"
    assert reasons["out/"] == "the audit's output folder"


def test_hostile_names_and_formula_cells(tmp_path, library):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "=HYPERLINK(1).txt").write_text("The Customer shall comply with export laws.\n")
    (Path(os.fsdecode(bytes(folder) + b"/caf\xe9-latin1.txt"))).write_text("The Customer shall respect human rights.\n")
    (folder / "ctl\x07bell.txt").write_text("The Customer shall not assign this Agreement.\n")
    summary = run_audit(folder, tmp_path / "out", library, jobs=1, progress=False)
    assert summary.documents == 3 and summary.errors == 0
    names = {r["document"] for r in read_jsonl(tmp_path / "out" / "results.jsonl")}
    assert "caf\ufffd-latin1.txt" in names and "=HYPERLINK(1).txt" in names
    csv_text = (tmp_path / "out" / "summary.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(1).txt" in csv_text
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "out" / "summary.xlsx")
    cells = [c for c in book["Contracts"]["A"] if c.value and "HYPERLINK" in str(c.value)]
    assert cells and all(c.data_type == "s" for c in cells)


def test_damaged_cache_is_set_aside_and_concurrent_runs_refused(tmp_path, library, capsys):
    folder = tmp_path / "in"
    write_contracts(folder, 2)
    out = tmp_path / "out"
    out.mkdir()
    (out / "cache.sqlite").write_bytes(b"this is not a database" * 100)
    summary = run_audit(folder, out, library, jobs=1, progress=False)
    assert summary.reviewed == 2
    assert "unusable cache" in capsys.readouterr().err and list(out.glob("cache.sqlite.corrupt-*"))
    import fcntl

    with open(out / ".clausegen-audit.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(ClausegenError, match="another audit"):
            run_audit(folder, out, library, jobs=1, progress=False)


def _tear_pages(db: Path) -> None:
    """Overwrite the middle of the file with junk page headers (a torn write): the file still opens."""
    size = db.stat().st_size
    with open(db, "r+b") as handle:
        for offset in range(2 * 4096, size - 4096, 4096):
            handle.seek(offset)
            handle.write(b"\x0d\xff\xff\xff" * 16)


def _set_review(db: Path, value: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE reviews SET review=? WHERE rowid=(SELECT min(rowid) FROM reviews)", (value,))


@pytest.mark.parametrize("damage, warning, reviewed", [
    (_tear_pages, "unusable cache (", 3),
    (lambda db: _set_review(db, "{not json"), "1 unreadable cache entry; reviewing those files again", 1),
    (lambda db: _set_review(db, "[1, 2]"), "1 unreadable cache entry; reviewing those files again", 1),
    (lambda db: _set_review(db, '{"safeguards": 3}'), "1 unreadable cache entry; reviewing those files again", 1),
    (lambda db: os.truncate(db, db.stat().st_size // 3), "unusable cache (", 3),
])
def test_any_cache_damage_is_set_aside_and_rebuilt(tmp_path, library, capsys, damage, warning, reviewed):
    folder = tmp_path / "in"
    for i in range(3):
        (folder / f"c{i}.txt").parent.mkdir(exist_ok=True)
        (folder / f"c{i}.txt").write_text(f"contract {i}: export control and human rights terms apply.\n" * 200)
    out = tmp_path / "out"
    run_audit(folder, out, library, jobs=1, engine=TEST_ENGINE, progress=False)
    first = read_jsonl(out / "results.jsonl")
    with sqlite3.connect(out / "cache.sqlite") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    capsys.readouterr()
    damage(out / "cache.sqlite")
    summary = run_audit(folder, out, library, jobs=1, engine=TEST_ENGINE, progress=False)
    err = capsys.readouterr().err
    assert summary.reviewed == reviewed and summary.errors == 0
    lines = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(lines) == 1 and warning in lines[0], err
    assert read_jsonl(out / "results.jsonl") == first
    # and the run after is clean: nothing set aside, nothing reviewed again
    again = run_audit(folder, out, library, jobs=1, engine=TEST_ENGINE, progress=False)
    assert again.reviewed == 0 and "warning" not in capsys.readouterr().err


def test_a_previous_audits_output_folder_is_skipped_by_its_files(tmp_path, library):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("The Customer shall comply with export control laws.\n")
    run_audit(folder, tmp_path / "first", library, jobs=1, engine=TEST_ENGINE, progress=False)
    shutil.copytree(tmp_path / "first", folder / "reports from march")  # any name: recognised by its files
    (folder / "reports from march" / ".clausegen-audit.lock").unlink()  # results + cache are enough
    (folder / "notes").mkdir()  # an ordinary folder with a results.jsonl of its own is still walked
    (folder / "notes" / "results.jsonl").write_text("{}\n")
    (folder / "notes" / "b.html").write_text("<p>The Customer shall respect human rights.</p>")
    summary = run_audit(folder, tmp_path / "second", library, jobs=1, engine=TEST_ENGINE, progress=False)
    assert {r["document"] for r in read_jsonl(tmp_path / "second" / "results.jsonl")} == {"a.txt", "notes/b.html"}
    assert [(s.rel, s.reason) for s in summary.skipped if "march" in s.rel] == \
        [("reports from march/", "the audit's output folder")]


def test_error_rows_name_the_file_on_one_line(tmp_path, library):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty\nerror: all fine.txt").write_text("")
    (folder / "bad\nname.docx").write_bytes(b"PK\x03\x04junk")
    run_audit(folder, tmp_path / "out", library, jobs=1, progress=False)
    rows = {r["document"]: r for r in read_jsonl(tmp_path / "out" / "results.jsonl")}
    assert rows["empty\nerror: all fine.txt"]["errors"] == ["empty\\nerror: all fine.txt: empty file (0 bytes)"]
    bad = rows["bad\nname.docx"]["errors"][0]
    assert bad.startswith("bad\\nname.docx: ") and "\n" not in bad


# ---- kill -9, SIGINT and resume (the CLI as a real process) ----

def _reviews(db_path: Path) -> dict[tuple[str, str], tuple[int, float]]:
    with sqlite3.connect(db_path) as db:
        return {(sha, fmt): (run, at) for sha, fmt, run, at in db.execute("SELECT sha256, fmt, run, reviewed_at FROM reviews")}


def _start_and_stop(folder: Path, out: Path, sig: int, at_least: int, *extra) -> subprocess.CompletedProcess:
    """Start the audit as a process, send sig once at_least results are committed, return what it did."""
    # a shell's background job (no job control) ignores SIGINT, and its children inherit that: give the audit the
    # default disposition, so Python installs its KeyboardInterrupt handler as it does for a user at a terminal
    proc = subprocess.Popen([sys.executable, "-m", "clausegen", "audit", str(folder), "-o", str(out), *map(str, extra)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    db = out / "cache.sqlite"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
                if conn.execute("SELECT count(*) FROM reviews").fetchone()[0] >= at_least:
                    break
        except sqlite3.Error:
            pass
        time.sleep(0.02)
    assert proc.poll() is None, "the audit finished before it could be interrupted: give it more files"
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _check_exactly_once(out: Path, folder: Path) -> list[dict]:
    rows = read_jsonl(out / "results.jsonl")
    listed = [r["document"] for r in rows] + [d for r in rows for d in r["duplicates"]]
    on_disk = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert sorted(listed) == on_disk  # every file, exactly once
    keys = [(r["sha256"], r["document"].rsplit(".", 1)[-1]) for r in rows if r["sha256"]]
    assert len(keys) == len(set(keys))
    return rows


@pytest.mark.slow
def test_resume_after_kill_9(tmp_path, capsys):
    folder = tmp_path / "in"
    write_contracts(folder, 240, size=8_000)
    out = tmp_path / "out"
    killed = _start_and_stop(folder, out, signal.SIGKILL, 25, "--jobs", 1)
    assert killed.returncode == -signal.SIGKILL
    assert not (out / "results.jsonl").exists()  # reports are written only at the end
    before = _reviews(out / "cache.sqlite")
    assert len(before) >= 25
    assert audit_cli(folder, "-o", out, "--jobs", 2) == 0  # resumed (in this process: quicker start)
    assert f"{len(before)} from cache" in capsys.readouterr().out
    after = _reviews(out / "cache.sqlite")
    assert all(after[key] == value for key, value in before.items())  # finished results were not reviewed again
    assert len(_check_exactly_once(out, folder)) == 240


@pytest.mark.slow
def test_sigint_saves_and_resumes(tmp_path, capsys):
    folder = tmp_path / "in"
    write_contracts(folder, 200, size=8_000)
    out = tmp_path / "out"
    stopped = _start_and_stop(folder, out, signal.SIGINT, 20, "--jobs", 1)
    assert stopped.returncode == 130
    assert "interrupted:" in stopped.stderr and "run the same command again to resume" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    before = _reviews(out / "cache.sqlite")
    assert len(before) >= 20
    assert audit_cli(folder, "-o", out) == 0
    assert f"{len(before)} from cache" in capsys.readouterr().out
    assert all(_reviews(out / "cache.sqlite")[key] == value for key, value in before.items())
    assert len(_check_exactly_once(out, folder)) == 200


@pytest.mark.slow
def test_hostile_input_fault_1000_files_killed_and_resumed(tmp_path):
    """1,000 small files, 10% broken: killed part way, resumed: every good file once, every broken one with a reason."""
    started = time.monotonic()
    folder = tmp_path / "in"
    folder.mkdir()
    samples = sorted((REPO / "contract_samples" / "contracts").glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in samples]
    broken: dict[str, str] = {}
    for i in range(1000):
        sub = folder / f"batch_{i // 100:02d}"
        sub.mkdir(exist_ok=True)
        if i % 10 == 7:  # the broken tenth: five kinds, each file different
            kind = (i // 10) % 5
            noise = os.urandom(64)
            if kind == 0:
                path, data, reason = sub / f"bad_{i}.docx", b"PK\x03\x04" + noise, r"docx|zip|corrupt"
            elif kind == 1:
                path, data, reason = sub / f"cut_{i}.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog" + noise[:8], r"pdf|corrupt|truncat"
            elif kind == 2:
                path, data, reason = sub / f"junk_{i}.txt", b"\x00\x01\x02\xff" * 64 + noise, r"binary|not text|unsupported"
            elif kind == 3:
                path, data, reason = sub / f"empty_{i}.md", b"", r"empty"
            else:
                path, data, reason = sub / f"huge_{i}.html", b"<p>" + b"x" * 300_000 + b"</p>", r"size limit"
            path.write_bytes(data)
            broken[path.relative_to(folder).as_posix()] = reason
        else:
            text = texts[i % len(texts)]
            (sub / f"contract_{i}.txt").write_text(f"Contract {i}\n\n{text[: 1500 + (i % 7) * 200]}\n", encoding="utf-8")
    out = tmp_path / "out"
    killed = _start_and_stop(folder, out, signal.SIGKILL, 150, "--max-bytes", 200_000)
    assert killed.returncode == -signal.SIGKILL
    before = _reviews(out / "cache.sqlite")
    assert audit_cli(folder, "-o", out, "--max-bytes", 200_000) == 0  # resumed (in this process: quicker start)
    assert all(_reviews(out / "cache.sqlite")[key] == value for key, value in before.items())
    rows = _check_exactly_once(out, folder)
    by_doc = {r["document"]: r for r in rows}
    for name, reason in broken.items():
        row = by_doc[name]
        assert len(row["errors"]) == 1 and re.search(reason, row["errors"][0], re.I), (name, row["errors"])
    good = [r for r in rows if r["document"] not in broken]
    assert len(good) + sum(len(r["duplicates"]) for r in good) == 900
    assert all(not r["errors"] for r in good)
    # ~25 s on an idle 2-core machine, nearly all of it two start-ups (library validation, detector build);
    # the bound only catches a hang, since a busy shared machine can double the time
    assert time.monotonic() - started < 120


# ---- progress output ----

def test_progress_lines_when_not_a_terminal(tmp_path, library, capsys, monkeypatch):
    folder = tmp_path / "in"
    write_contracts(folder, 40)
    monkeypatch.setenv("CLAUSEGEN_PROGRESS_SECONDS", "0")  # a line per file instead of every 5 s
    run_audit(folder, tmp_path / "out", library, jobs=2)  # progress=None: stderr is not a terminal here
    err = capsys.readouterr().err
    assert "audit: 40 files to review (0 from cache), 2 workers" in err
    assert re.search(r"audit: \d+/40 files reviewed \([\d.]+ files/s, ETA", err)
    assert "audit: 40/40 files reviewed" in err
    assert "\x1b[" not in err  # no terminal control codes in a log


@pytest.mark.parametrize("sizes, done, expected", [
    # largest files first (as the audit orders them): two of 100 KB done in 10 s, ten of 1 KB left; a count of
    # files would say 50 s, the work (bytes plus FILE_WORK_BYTES a file) says about 4 s
    ([100_000] * 2 + [1_000] * 10, 2, 10 * (1_000 + FILE_WORK_BYTES) / (2 * (100_000 + FILE_WORK_BYTES)) * 10),
    ([5_000] * 10, 5, 10.0),  # equal sizes: the same as counting files
    ([5_000] * 10, 10, 0.0),
])
def test_progress_eta_follows_work_not_file_count(sizes, done, expected):
    progress = _Progress(sizes, cached=0, jobs=2, mode=False)
    assert progress.eta() is None  # no worker ready yet
    progress.begin()
    progress.first_ready -= 10.0  # as if the first worker had been ready for 10 s
    for size in sizes[:done]:
        progress.advance(size)
    assert progress.eta() == pytest.approx(expected, rel=0.01, abs=0.01)
    assert progress.rate() == pytest.approx(done / 10.0, rel=0.01)


def test_progress_bar_on_a_terminal(tmp_path):
    import pty

    folder = tmp_path / "in"
    write_contracts(folder, 30)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "clausegen", "audit", str(folder), "-o", str(tmp_path / "out")],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    out_text = proc.communicate(timeout=120)[0]
    os.close(master)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, shown[-2000:]
    assert "30 documents from 30 files" in out_text
    assert "30/30" in shown and "files/s" in shown and "ETA" in shown


def test_skipped_file_listing_in_summary_lines(tmp_path, library):
    folder = tmp_path / "in"
    write_contracts(folder, 1)
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    summary = run_audit(folder, tmp_path / "out", library, jobs=1, progress=False)
    assert summary.skipped == [SkippedFile("logo.png", "unsupported type .png"),
                               SkippedFile("sheet.xlsx", "unsupported type .xlsx")]
    assert "skipped 2 files (unsupported type .png 1; unsupported type .xlsx 1)" in summary.lines()
