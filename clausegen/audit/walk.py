"""Walking the folder: the contracts to review, and the files skipped with their reason."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import Iterable

from clausegen.audit.work import CACHE_NAME, LOCK_NAME, SUPPORTED

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
