"""The server's store backend: one writer process, query workers, all killable, and checkpoints between them.

* One writer process (see endpoint_worker) opens the store read-write and is its only writer. Each write (a SPARQL
  update, a Graph Store PUT/POST/DELETE) is one pyoxigraph transaction run under a lock, so a reader never sees half
  of it. A write that overruns the time limit or the memory limit is stopped by killing the writer (nothing of it is
  committed) and a new writer reopens the store; so does a write that failed on the disk (e.g. full): RocksDB refuses
  all writes after such an error until the store is reopened.
* Reads run in worker processes (see endpoint_worker), because a pyoxigraph query cannot be interrupted: on timeout
  the worker is killed, which really stops the query, and a fresh one is started in the background.
* Workers read an immutable RocksDB checkpoint (`Store.backup`, hard links, some ms) of the live store. A checkpoint is
  made lazily, by the first read after a write, so a batch of writes costs one checkpoint; every read sees every
  write that finished before it began. Old checkpoints are deleted once no worker reads them.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

from .endpoint_worker import RETIRE
from .store import Store

log = logging.getLogger("kgbuild.endpoint")
CHECKPOINT_RETRY = 10.0  # seconds between attempts at a checkpoint that failed, unless a write comes first


class QueryTimeout(Exception):
    """The query ran out of time (it has been stopped) or no worker became free in time."""


class WorkerFailed(Exception):
    """A worker died while answering (e.g. out of memory); it has been replaced."""


class WriteFailed(Exception):
    """A write failed and nothing of it was written; `status` is its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Worker:
    def __init__(self, max_memory: int = 0, store_path: str | None = None, offline: bool = False) -> None:
        parent, child = socket.socketpair()
        src = str(Path(__file__).resolve().parent.parent)  # so the child imports this very kgbuild
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, *filter(None, [os.environ.get("PYTHONPATH")])]))
        args = [sys.executable, "-m", "kgbuild.endpoint_worker", str(child.fileno()), str(max_memory),
                store_path or "-", "offline" if offline else "online"]
        self.proc = subprocess.Popen(args, pass_fds=(child.fileno(),), env=env, stdin=subprocess.DEVNULL)
        child.close()
        self.conn = Connection(parent.detach())
        self.gen: int | None = None
        try:
            hello = self.conn.recv() if self.conn.poll(60) else ("failed", "no answer within 60 s")
        except (EOFError, OSError):
            hello = ("failed", "it ended at once (see the server's log)")
        if hello[0] != "ready":
            self.kill()
            raise RuntimeError(f"a worker process did not start: {hello[-1]}")
        self.offline = hello[1]  # in a network namespace of its own: it can reach no host

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(5)
        finally:
            self.conn.close()


class Backend:
    """The live store plus a pool of query workers. Thread-safe."""

    def __init__(self, store_path: str, *, workers: int, timeout: float, max_memory: int = 0,
                 offline: bool = True) -> None:
        self.path = str(Path(store_path).resolve())
        Store(store_path).close()  # create it if need be, and say clearly if another process holds it
        self.timeout = timeout
        self.max_memory = max_memory
        self.offline = offline  # run the workers where they can reach no host (no SERVICE or LOAD is allowed)
        self.write_error: str | None = None  # why the last write failed, until one succeeds
        self.checkpoint_error: str | None = None  # why the readers' checkpoint is behind the store, until it is not
        # endpoint_worker's options for every query: allowed SERVICE hosts, base IRI, response size limit
        self.query_options: dict = {}
        self._size = workers
        self._write_lock = threading.Lock()
        self._snap_lock = threading.Lock()  # guards gen/current/_dirty and every worker's gen
        self._dirty = True
        self._retry_at = 0.0  # a failed checkpoint is not tried again before this time.monotonic() or a write
        self._gen = 0
        self._current: Path | None = None
        parent = Path(store_path).resolve().parent  # same file system, so checkpoints are hard links
        try:
            self._snapdir = Path(tempfile.mkdtemp(prefix=".kgbuild-serve-", dir=parent))
        except OSError:
            self._snapdir = Path(tempfile.mkdtemp(prefix="kgbuild-serve-"))
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._closed = False
        self._writer: _Worker | None = _Worker(max_memory, self.path, offline)
        if offline and not self._writer.offline:
            log.warning("the workers cannot be put offline (no network namespaces here): every update is read by "
                        "the policy's parser before it runs, which is slow for large ones")
        self._snapshot()
        starters = [threading.Thread(target=self._add_worker, daemon=True) for _ in range(workers)]
        for t in starters:
            t.start()
        for t in starters:
            t.join()
        if not self._workers:
            raise RuntimeError("no query worker could be started")

    # -- workers -------------------------------------------------------------------------------
    def _add_worker(self) -> None:
        try:
            worker = _Worker(self.max_memory, offline=self.offline)
        except Exception:  # noqa: BLE001 - logged; the pool runs with fewer workers
            log.exception("cannot start a query worker")
            return
        with self._snap_lock:
            if self._closed:
                worker.kill()
                return
            self._workers.add(worker)
        self._idle.put(worker)

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker (this stops its query) and start a replacement without making the caller wait."""
        with self._snap_lock:
            self._workers.discard(worker)
        worker.kill()
        if not self._closed:
            threading.Thread(target=self._add_worker, daemon=True).start()

    # -- checkpoints ---------------------------------------------------------------------------
    def _snapshot(self) -> None:
        """Publish a checkpoint of the live store if it changed; caller may hold no lock."""
        with self._snap_lock:
            # After a failure, retried by the first read after the next write or after CHECKPOINT_RETRY seconds:
            # not by every read, each of which would wait for the writer to fail again (e.g. on a full disk).
            if not self._dirty or (self._current is not None and time.monotonic() < self._retry_at):
                return
            self._dirty = False  # a write finishing during the backup sets it again
            gen = self._gen + 1
            path = self._snapdir / f"g{gen}"
            try:
                with self._write_lock:
                    reply = self._writer_call(("backup", str(path)), self.timeout)
                if reply[0] == "error":
                    raise WriteFailed(reply[1], reply[2])
            except (QueryTimeout, WorkerFailed, WriteFailed) as exc:  # readers go on with the last checkpoint
                log.warning("cannot make a checkpoint for the readers (retried after the next write or in %g s): %s",
                            CHECKPOINT_RETRY, exc)
                self.checkpoint_error = str(exc)
                self._retry_at = time.monotonic() + CHECKPOINT_RETRY
                self._dirty = True
                shutil.rmtree(path, ignore_errors=True)
                return
            self._gen, self._current = gen, path
            self.checkpoint_error = None
            used = {w.gen for w in self._workers} | {gen}
            for old in self._snapdir.iterdir():
                if old.name.startswith("g") and int(old.name[1:]) not in used:
                    shutil.rmtree(old, ignore_errors=True)

    def call(self, job: tuple, timeout: float | None = None) -> tuple:
        """Run a read job on a worker within the time limit; the snapshot fields are filled in here."""
        timeout = self.timeout if timeout is None else timeout
        self._snapshot()  # waits for a running write (itself bounded by the time limit), then the query's time starts
        deadline = time.monotonic() + timeout
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise QueryTimeout(f"the server is busy: no query worker became free within {timeout:g} s") from None
        with self._snap_lock:
            worker.gen = self._gen  # recorded before sending, so the checkpoint is not deleted under it
            job = (job[0], self._gen, str(self._current), *job[1:])
            if job[0] == "query" and len(job) == 9:  # the server's policy and limits, unless the caller set them
                job = (*job, self.query_options)
        try:
            worker.conn.send(job)
            if not worker.conn.poll(max(deadline - time.monotonic(), 0.001)):
                self._discard(worker)
                raise QueryTimeout(f"the query was stopped after the {timeout:g} s time limit")
            reply = worker.conn.recv()
        except (EOFError, OSError):
            self._discard(worker)
            raise WorkerFailed("the query was stopped: it needed more memory than this server allows "
                               "(kgbuild serve --max-query-memory), or its worker died; the worker has been replaced"
                               ) from None
        if reply[-1] == RETIRE:  # the worker ends after this reply (see endpoint_worker)
            self._discard(worker)
            return reply[:-1]
        self._idle.put(worker)
        return reply

    # -- writes --------------------------------------------------------------------------------
    def _restart_writer(self) -> None:
        """Kill the writer (this stops its write; nothing of it is committed); the next write reopens the store."""
        if self._writer is not None:
            self._writer.kill()
            self._writer = None

    def _writer_call(self, job: tuple, timeout: float) -> tuple:
        """One job on the writer, within the time limit; the caller holds the write lock."""
        if self._writer is None:
            try:
                self._writer = _Worker(self.max_memory, self.path, self.offline)
            except RuntimeError as exc:
                return ("error", 507, f"the store cannot be opened for writing: {exc}")
        try:
            self._writer.conn.send(job)
            if not self._writer.conn.poll(timeout):
                self._restart_writer()
                raise QueryTimeout(f"the update was stopped after the {timeout:g} s time limit; nothing was written")
            reply = self._writer.conn.recv()
            if reply[-1] == RETIRE:
                reply = reply[:-1]
                self._restart_writer()
        except (EOFError, OSError):
            self._restart_writer()
            raise WorkerFailed("the update stopped the writer (out of memory?); nothing was written, and the "
                               "writer has been replaced") from None
        if reply[0] == "error" and reply[1] == 507:  # the disk: reopen the store, so the next write can work
            self._restart_writer()
        return reply

    def write(self, job: tuple) -> tuple:
        """Run one write job on the writer (("update", text, options) or ("write", text)); raise WriteFailed."""
        with self._write_lock:
            try:
                reply = self._writer_call(job, self.timeout)
            finally:
                self._dirty = True
        if reply[0] == "error":
            if reply[1] == 507:  # the store could not be written (a full disk): /health says so until a write works
                self.write_error = reply[2]
            raise WriteFailed(reply[1], reply[2])
        self.write_error = None
        self._retry_at = 0.0  # the store took a write: a checkpoint may work again too
        return reply

    def has_graph(self, iri: str) -> bool:
        """Whether the live store holds the named graph `iri`, asked of the writer: for writes, which wait there
        anyway (a read asks its reader, in its query's job: see endpoint_worker's `existing` option)."""
        with self._write_lock:
            reply = self._writer_call(("has_graph", iri), self.timeout)
        if reply[0] == "error":
            raise WriteFailed(reply[1], reply[2])
        return bool(reply[3])

    def close(self) -> None:
        with self._snap_lock:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
        for w in workers:  # closing its pipe ends an idle worker normally (its exit handlers run); a busy one is killed
            w.conn.close()
        deadline = time.monotonic() + 1
        for w in workers:
            try:
                w.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            w.kill()
        shutil.rmtree(self._snapdir, ignore_errors=True)
        with self._write_lock:
            writer, self._writer = self._writer, None
            if writer is not None:
                try:  # closing the pipe ends the writer, which closes (and flushes) the store
                    writer.conn.close()
                    writer.proc.wait(30)
                except (OSError, subprocess.TimeoutExpired):
                    writer.kill()
