"""The server's store backend: one writer, query workers that can be killed, and checkpoints between them.

* The server process opens the store read-write and is its only writer. Each write (a SPARQL update, a Graph Store
  PUT/POST/DELETE) is one pyoxigraph transaction run under a lock, so a reader never sees half of it.
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
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from .store import Store

log = logging.getLogger("kgbuild.endpoint")
T = TypeVar("T")


class QueryTimeout(Exception):
    """The query ran out of time (it has been stopped) or no worker became free in time."""


class WorkerFailed(Exception):
    """A worker died while answering (e.g. out of memory); it has been replaced."""


class _ServedStore(Store):
    """The store as the server needs it: checkpoints for the workers and the raw store for write transactions."""

    def backup(self, target: Path) -> None:
        self._store.backup(str(target))

    @property
    def oxigraph(self) -> ox.Store:
        return self._store


class _Worker:
    def __init__(self) -> None:
        parent, child = socket.socketpair()
        src = str(Path(__file__).resolve().parent.parent)  # so the child imports this very kgbuild
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, *filter(None, [os.environ.get("PYTHONPATH")])]))
        self.proc = subprocess.Popen([sys.executable, "-m", "kgbuild.endpoint_worker", str(child.fileno())],
                                     pass_fds=(child.fileno(),), env=env, stdin=subprocess.DEVNULL)
        child.close()
        self.conn = Connection(parent.detach())
        self.gen: int | None = None
        if not self.conn.poll(60) or self.conn.recv() != ("ready",):
            self.kill()
            raise RuntimeError("a query worker did not start")

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(5)
        finally:
            self.conn.close()


class Backend:
    """The live store plus a pool of query workers. Thread-safe."""

    def __init__(self, store_path: str, *, workers: int, timeout: float) -> None:
        self.store = _ServedStore(store_path)  # read-write: we are the one writer (and hold the RocksDB lock)
        self.timeout = timeout
        self._size = workers
        self._write_lock = threading.Lock()
        self._snap_lock = threading.Lock()  # guards gen/current/_dirty and every worker's gen
        self._dirty = True
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
            worker = _Worker()
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
            if not self._dirty:
                return
            self._dirty = False  # a write finishing during the backup sets it again
            gen = self._gen + 1
            path = self._snapdir / f"g{gen}"
            self.store.backup(path)
            self._gen, self._current = gen, path
            used = {w.gen for w in self._workers} | {gen}
            for old in self._snapdir.iterdir():
                if old.name.startswith("g") and int(old.name[1:]) not in used:
                    shutil.rmtree(old, ignore_errors=True)

    def call(self, job: tuple, timeout: float | None = None) -> tuple:
        """Run a read job on a worker within the time limit; the snapshot fields are filled in here."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        self._snapshot()
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise QueryTimeout(f"the server is busy: no query worker became free within {timeout:g} s") from None
        with self._snap_lock:
            worker.gen = self._gen  # recorded before sending, so the checkpoint is not deleted under it
            job = (job[0], self._gen, str(self._current), *job[1:])
        try:
            worker.conn.send(job)
            if not worker.conn.poll(max(deadline - time.monotonic(), 0.001)):
                self._discard(worker)
                raise QueryTimeout(f"the query was stopped after the {timeout:g} s time limit")
            reply = worker.conn.recv()
        except (EOFError, OSError):
            self._discard(worker)
            raise WorkerFailed("the query worker died (out of memory?); it has been replaced") from None
        self._idle.put(worker)
        return reply

    # -- writes --------------------------------------------------------------------------------
    def write(self, action: Callable[[ox.Store], T]) -> T:
        """Run one write transaction on the live store; readers see it from their next query."""
        with self._write_lock:
            try:
                return action(self.store.oxigraph)
            finally:
                self._dirty = True

    def close(self) -> None:
        with self._snap_lock:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
        for w in workers:
            w.kill()
        shutil.rmtree(self._snapdir, ignore_errors=True)
        self.store.flush()
