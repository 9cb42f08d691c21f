"""Worker processes with a time budget per task: a task over budget has its worker killed and replaced.

multiprocessing.Pool cannot stop one task: a worker stuck in C code (a regular expression, a parser) holds its slot
until it returns, and a Ctrl-C waits for it. Here each worker holds at most two tasks (one running, one queued so it
never waits for the parent), says when it starts one, and the parent kills it once that task passes its budget.
Results come back in input order; at most `ahead` items are read ahead of the one the consumer waits for, so memory
does not grow with the input.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

POLL = 0.1  # seconds between looks at the budget and at `stop`: Ctrl-C is seen within this much


class Overrun(Exception):
    """A task ran past its time budget; its worker was killed."""


def _serve(conn: Connection, fn: Callable[[object], object], init: Callable[[], None] | None) -> None:
    if init is not None:
        init()
    tasks: queue.SimpleQueue = queue.SimpleQueue()

    def receive() -> None:  # always reading, so that the parent's send never waits for a task to finish
        while True:
            try:
                tasks.put(conn.recv())
            except (EOFError, OSError):
                tasks.put(None)
                return

    threading.Thread(target=receive, daemon=True).start()
    while (message := tasks.get()) is not None:
        seq, item = message
        conn.send(("start", seq))
        conn.send(("done", seq, fn(item)))


@dataclass
class _Worker:
    process: mp.process.BaseProcess
    conn: Connection
    queued: deque[int] = field(default_factory=deque)  # sequence numbers sent, oldest first
    started: float | None = None  # when the oldest queued task started, by the parent's clock


def run(
    items: Iterable[T],
    fn: Callable[[T], R],
    *,
    jobs: int,
    budget: float | None,
    local: Callable[[T], R | None] = lambda item: None,
    init: Callable[[], None] | None = None,
    stop: Callable[[], bool] = lambda: False,
    ahead: int = 64,
) -> Iterator[tuple[T, R | Overrun]]:
    """Yield (item, fn(item)) in input order, computing fn on `jobs` worker processes.

    `local(item)` answers in this process when it can (a rejection needs no worker); None sends the item to a worker.
    A task running longer than `budget` seconds yields Overrun and its worker is replaced. When `stop()` answers
    true, the workers are killed at once and the iteration ends (the tasks in flight are dropped).
    """
    ctx = mp.get_context("fork" if hasattr(os, "fork") else "spawn")
    workers: list[_Worker] = []

    def spawn() -> _Worker:
        parent, child = ctx.Pipe()
        process = ctx.Process(target=_serve, args=(child, fn, init), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    source = iter(items)
    exhausted = False
    next_seq = 0  # of the next item read
    next_out = 0  # of the next result to yield
    held: dict[int, T] = {}  # items read and not yet yielded
    done: dict[int, R | Overrun] = {}
    waiting: deque[int] = deque()  # read, for a worker, not sent yet
    try:
        workers = [spawn() for _ in range(jobs)]
        while True:
            if stop():
                return
            # Read ahead while there is room, answering locally what needs no worker.
            while not exhausted and next_seq - next_out < ahead and len(waiting) < 2 * jobs:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                held[next_seq] = item
                answer = local(item)
                if answer is not None:
                    done[next_seq] = answer
                else:
                    waiting.append(next_seq)
                next_seq += 1
                if stop():
                    return
            # Hand out work: each worker holds at most two tasks.
            for worker in workers:
                while waiting and len(worker.queued) < 2:
                    seq = waiting.popleft()
                    worker.conn.send((seq, held[seq]))
                    worker.queued.append(seq)
            # Yield what is ready, in order.
            while next_out in done:
                result = done.pop(next_out)
                yield held.pop(next_out), result
                next_out += 1
                if stop():
                    return
            if exhausted and next_out == next_seq:
                return
            busy = [w for w in workers if w.queued]
            if not busy:
                continue
            for conn in wait([w.conn for w in busy], timeout=POLL):
                worker = next(w for w in busy if w.conn is conn)
                try:
                    message = conn.recv()
                except (EOFError, OSError):  # the worker died (killed from outside, out of memory)
                    _retire(workers, worker, spawn, waiting, done, "the worker process died")
                    continue
                if message[0] == "start":
                    worker.started = time.monotonic()
                else:
                    _, seq, result = message
                    worker.queued.popleft()
                    worker.started = None
                    done[seq] = result
            if budget is not None:
                now = time.monotonic()
                for worker in list(workers):
                    if worker.started is not None and now - worker.started > budget:
                        _retire(workers, worker, spawn, waiting, done, f"took longer than the {budget:g} s time budget")
    finally:
        # Reaping the killed workers takes milliseconds; a second Ctrl-C arriving meanwhile would break it off
        # half-way (and print a traceback from the generator's finalizer), so it waits until they are gone.
        with _sigint_held():
            for worker in workers:
                _kill(worker)


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _retire(workers: list[_Worker], worker: _Worker, spawn: Callable[[], _Worker], waiting: deque[int],
            done: dict, reason: str) -> None:
    """Kill a worker and put a fresh one in its place: its running task fails with `reason`, the task queued behind
    it (never started) goes back to the front of the line."""
    _kill(worker)
    done[worker.queued.popleft()] = Overrun(reason)
    waiting.extendleft(reversed(worker.queued))
    workers[workers.index(worker)] = spawn()


def _kill(worker: _Worker) -> None:
    if worker.process.is_alive():
        try:
            os.kill(worker.process.pid, signal.SIGKILL)  # a task stuck in C code does not see SIGTERM
        except ProcessLookupError:
            pass
    worker.process.join()
    worker.conn.close()
