"""Group commit for SQLite renames: every rename queued at that moment runs in ONE transaction,
on the event loop when nothing in it has to wait, else in ONE hop to the writer's thread.

Per request the event loop only appends (statement, parameters, future) to a queue; while a batch
runs, new renames queue up and become the next batch.

Where a batch runs. With synchronous=NORMAL (or OFF) a commit in WAL mode writes to the OS page
cache and waits for no disk, so a batch runs on the event loop itself (at most _MAX_LOOP_BATCH
renames, then the loop serves other work) when the write lock is free at once: a thread hop and
its futures cost more than such a batch (`python -m benchmarks.compare`, agno-written sessions,
one worker: 594 -> 529 µs of server CPU per rename, worst p99 24.7 -> 12.6 ms). What could wait
runs on the writer thread, as every batch did before: a batch whose write lock another connection
(another worker) holds, a problem with the file, a transaction that failed to begin or commit
(redone there whole, then rename by rename), and every batch under synchronous=FULL/EXTRA (each
commit waits for the disk). Checkpoints (copying the log into the database file, with an fsync)
never run on the loop: the writer's automatic checkpoint is off and a second connection
checkpoints passively on the writer thread, at most every _CHECKPOINT_SECONDS, while renames go
on writing. What the loop can still wait for is the pages of a row read from a cold disk.

Before each batch the writer checks the watched file (store/sqlite_file.py), so a rename that
waited in the queue while the file was removed or replaced fails like any other. Each rename runs
inside its own SAVEPOINT: a statement that fails (a malformed row) rolls back only its own changes
and fails only its own request. If the transaction itself cannot begin or commit (locked past the
busy timeout, disk full, I/O error), nothing of the batch was stored: every rename of it is then
retried alone, in a transaction of its own, so that each request gets its own verdict and a 200
only ever follows its own commit. The batch and those retries share one busy timeout, so a lock
held past it fails the batch's renames together, about one timeout after the batch began. A
future is resolved only after COMMIT returned.

Hand-written (no library offers group commit over sqlite3); aiosqlite's one-call-per-hop model is
what this replaces for renames. Reads, bulk writes and check() stay on the store's aiosqlite
connection.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from domain.errors import StoreFailure

logger = logging.getLogger(__name__)

Rows = list[tuple[Any, ...]]
Outcome = Rows | BaseException
Work = list[tuple[str, dict[str, object]]]
_Job = tuple[str, dict[str, object], "asyncio.Future[Rows]"]
_Result = TypeVar("_Result")
_MAX_BATCH = 256
_MAX_LOOP_BATCH = 64  # some 5 ms of the loop at most (about 80 µs per agno-written session)
_CHECKPOINT_SECONDS = 0.1
_RETRY_PAUSE_SECONDS = 0.0005
_CLOSED = "the SQLite store is closed"
# A commit waits for the disk only under these (WAL mode): then no batch runs on the loop.
_LOOP_SAFE_SYNCHRONOUS = ("OFF", "NORMAL")


def _is_busy(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class GroupCommitWriter:
    """Renames for one SQLite file, batched onto one connection, on the loop or one thread."""

    def __init__(
        self,
        executor: ThreadPoolExecutor,
        connections: tuple[sqlite3.Connection, sqlite3.Connection],
        file_problem: Callable[[], str | None],
        busy_seconds: float,
        *,
        on_loop: bool,
    ) -> None:
        self._executor = executor
        self._connection, self._checkpointer = connections
        self._file_problem = file_problem
        self._busy_seconds = busy_seconds
        self._on_loop = on_loop
        self._queue: list[_Job] = []
        self._drainer: asyncio.Task[None] | None = None  # kept: the loop holds tasks weakly
        self._checkpoint: asyncio.Future[None] | None = None
        self._last_checkpoint = time.monotonic()
        self._closed = False

    @classmethod
    async def open(
        cls,
        path: str,
        *,
        synchronous: str,
        busy_timeout_ms: int,
        file_problem: Callable[[], str | None],
    ) -> GroupCommitWriter:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        loop = asyncio.get_running_loop()
        on_loop = synchronous in _LOOP_SAFE_SYNCHRONOUS
        try:
            connections = await loop.run_in_executor(
                executor, cls._connect_both, path, synchronous, on_loop
            )
        except BaseException:
            executor.shutdown(wait=True)
            raise
        # SQLite's own busy handler sleeps up to 100 ms between tries while another process
        # holds the write lock (what made two workers' p99 hundreds of ms); the writer tries
        # again every half millisecond instead, within the same bound.
        return cls(executor, connections, file_problem, busy_timeout_ms / 1000, on_loop=on_loop)

    @staticmethod
    def _connect_both(
        path: str, synchronous: str, on_loop: bool
    ) -> tuple[sqlite3.Connection, sqlite3.Connection]:
        writer = GroupCommitWriter._connect(path, synchronous)
        try:
            if on_loop:  # checkpoints are the checkpointer's, on the thread
                writer.execute("PRAGMA wal_autocheckpoint = 0")
            checkpointer = GroupCommitWriter._connect(path, synchronous)
        except BaseException:
            writer.close()
            raise
        return writer, checkpointer

    @staticmethod
    def _connect(path: str, synchronous: str) -> sqlite3.Connection:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            connection.execute("PRAGMA busy_timeout = 0")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute(f"PRAGMA synchronous = {synchronous}")
        except BaseException:
            connection.close()
            raise
        return connection

    async def run(self, sql: str, parameters: dict[str, object]) -> Rows:
        """The statement's rows once its transaction has committed. Raises the sqlite3.Error of
        this statement (or of its own transaction), or StoreFailure when the file is lost or
        the store closed."""
        if self._closed:
            raise StoreFailure(_CLOSED)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Rows] = loop.create_future()
        self._queue.append((sql, parameters, future))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                size = _MAX_LOOP_BATCH if self._on_loop else _MAX_BATCH
                batch, self._queue = self._queue[:size], self._queue[size:]
                work = [(sql, values) for sql, values, _ in batch]
                outcomes = self._run_on_loop(work) if self._on_loop else None
                if outcomes is None:
                    try:
                        outcomes = await loop.run_in_executor(self._executor, self.run_batch, work)
                    except Exception as error:  # the hop itself failed: fail these, go on
                        outcomes = [error] * len(batch)
                    except BaseException:  # cancelled (the loop is closing): fail these, stop
                        self._settle(batch, [StoreFailure(_CLOSED)] * len(batch))
                        raise
                self._settle(batch, outcomes)
                self._checkpoint_soon(loop)
                # The renames just answered, and requests already read, run before the next
                # batch (which they may join).
                await asyncio.sleep(0)
        except BaseException:  # cancelled (the loop is closing): fail what still waits
            queued, self._queue = self._queue, []
            self._settle(queued, [StoreFailure(_CLOSED)] * len(queued))
            raise
        finally:
            self._drainer = None

    @staticmethod
    def _settle(batch: list[_Job], outcomes: list[Outcome]) -> None:
        for (_, _, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():  # its request was cancelled meanwhile
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    def _run_on_loop(self, work: Work) -> list[Outcome] | None:
        """The batch on the event loop, if nothing of it has to wait; None (nothing stored)
        otherwise: the write lock is taken, the file has a problem, or the transaction failed.
        The writer thread then runs the batch as run_batch does."""
        if self._file_problem() is not None:
            return None
        return self.run_transaction(work, self._connection.execute)

    def run_batch(self, work: Work) -> list[Outcome]:
        """On the writer thread: the whole batch in one transaction, each statement isolated.
        (Called by the drainer only; public so that tests can see the batches.)"""
        problem = self._file_problem()
        if problem is not None:
            self._empty_the_log_into_the_lost_file()
            return [StoreFailure(problem) for _ in work]
        connection = self._connection
        # One busy timeout for the whole batch: a lock held past it fails every rename of the
        # batch then, instead of each rename waiting out a timeout of its own in turn.
        deadline = time.monotonic() + self._busy_seconds
        outcomes = self.run_transaction(
            work, lambda sql: self._retrying(lambda: connection.execute(sql), deadline)
        )
        if outcomes is None:
            # Nothing of the batch is stored: each rename gets its own transaction and verdict.
            return [self._run_alone(sql, parameters, deadline) for sql, parameters in work]
        return outcomes

    def run_transaction(self, work: Work, begin: Callable[[str], object]) -> list[Outcome] | None:
        """`work` in one transaction begun by `begin("BEGIN IMMEDIATE")`, each statement in its
        own savepoint; None, with nothing stored, when the transaction could not begin or commit.
        (Public so that tests can see the batches, on the loop or the thread.)"""
        connection = self._connection
        try:
            begin("BEGIN IMMEDIATE")
        except sqlite3.Error:
            return None
        outcomes: list[Outcome] = []
        try:
            for sql, parameters in work:
                connection.execute("SAVEPOINT rename")
                try:
                    rows = connection.execute(sql, parameters).fetchall()
                except sqlite3.Error as error:
                    connection.execute("ROLLBACK TO rename")
                    outcomes.append(error)
                else:
                    outcomes.append([tuple(row) for row in rows])
                connection.execute("RELEASE rename")
            connection.execute("COMMIT")
        except sqlite3.Error:
            self._roll_back()
            return None
        return outcomes

    def _run_alone(self, sql: str, parameters: dict[str, object], deadline: float) -> Outcome:
        connection = self._connection
        try:
            rows = self._retrying(lambda: connection.execute(sql, parameters).fetchall(), deadline)
        except sqlite3.Error as error:
            self._roll_back()
            return error
        return [tuple(row) for row in rows]

    def _roll_back(self) -> None:
        if self._connection.in_transaction:
            try:
                self._connection.execute("ROLLBACK")
            except sqlite3.Error as error:  # SQLite may have rolled back already
                logger.warning("could not roll back a failed SQLite batch: %s", error)

    @staticmethod
    def _retrying(step: Callable[[], _Result], deadline: float) -> _Result:
        """`step()`, tried again every half millisecond while another connection holds the
        write lock, until `deadline` (time.monotonic()); tried once when it has passed."""
        while True:
            try:
                return step()
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or time.monotonic() >= deadline:
                    raise
            time.sleep(_RETRY_PAUSE_SECONDS)

    def _checkpoint_soon(self, loop: asyncio.AbstractEventLoop) -> None:
        """A passive checkpoint on the writer thread (it runs beside renames, which go on
        writing to the log), unless one is running or ran less than _CHECKPOINT_SECONDS ago."""
        if not self._on_loop or self._checkpoint is not None:
            return
        now = time.monotonic()
        if now - self._last_checkpoint < _CHECKPOINT_SECONDS:
            return
        self._last_checkpoint = now
        self._checkpoint = loop.run_in_executor(self._executor, self._copy_log_into_file)
        self._checkpoint.add_done_callback(self._checkpoint_done)

    def _copy_log_into_file(self) -> None:
        try:
            self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as error:  # tried again at the next interval
            logger.warning("SQLite checkpoint failed: %s", error)

    def _checkpoint_done(self, done: asyncio.Future[None]) -> None:
        self._checkpoint = None
        if not done.cancelled() and done.exception() is not None:
            logger.warning("SQLite checkpoint failed: %s", done.exception())

    def _empty_the_log_into_the_lost_file(self) -> None:
        # As SqliteStore does: commits still in the write-ahead log go into the file this
        # connection has open, and the log left at the path is emptied.
        try:
            self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error as error:
            logger.warning("could not empty the write-ahead log of a lost database: %s", error)

    async def close(self) -> None:
        """Refuse new renames, let the queued ones finish, then close the connections and stop
        the thread."""
        self._closed = True
        while self._drainer is not None:
            await asyncio.shield(self._drainer)
        if self._checkpoint is not None:
            await asyncio.shield(self._checkpoint)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._close_connections)
        finally:
            self._executor.shutdown(wait=True)

    def _close_connections(self) -> None:
        try:
            self._checkpointer.close()
        finally:
            self._connection.close()
