"""Workers: warm processes, one pipe each, a deadline per file."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from clausegen.errors import ClausegenError
from clausegen.audit.cache import LibraryRef
from clausegen.audit.work import (DEFAULT_ENGINE, WARMUP_TEXT, _WARM_ENV, _limit_names, audit_document, error_review,
                                   one_line, resolve_engine)

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

    The server imports clausegen.audit.workers (its preload); with _WARM_ENV set in its environment that import loads the
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
        ctx.set_forkserver_preload(["clausegen.audit.workers", engine_module])
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


_warm_forkserver_from_env()  # a no-op everywhere but in a fork server started by _start_forkserver
