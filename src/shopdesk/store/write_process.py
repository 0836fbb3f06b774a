"""A helper process that writes group-commit batches on a store connection of its own.

This side (in the shopdesk process) spawns `python -m shopdesk.store.write_child` with one end of
a socket pair, sends it `(write, item_type, max_batch, items)` frames (the items packed with msgspec's msgpack
as `list[item_type]`) and gets back, frame for frame,
`("ok", outcomes, first_of_transaction)` or `("fail", error)` once the transaction holding the
batch committed or failed. During a turn GroupWriter sends batches as they come; the helper
writes the batches waiting when it is free in one transaction. Frames are a 4-byte big-endian
length and a pickle (the write function and item type by reference): both ends are this same code,
started from this same interpreter and sys.path, over a socket pair no other process holds.

The helper is in a session of its own and lets SIGTERM, SIGINT and SIGHUP pass (they are for the
server, which drains through it); it ends when its socket closes: when `stop()` closes it, or when
this process dies (kill -9 included), after the batch in hand. A batch in flight when the helper
dies is answered with WriteProcessEnded (nothing of it was acknowledged; the sender retries;
replays are recognised).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import pickle
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec

log = logging.getLogger(__name__)

READY_SECONDS = 60.0  # an interpreter starting on a busy machine
STOP_SECONDS = 30.0  # the batch in hand, an fsync on a slow disk
# A batch unanswered this long: the helper hangs (stopped, a disk that does not answer); it is
# killed, its batches fail (nothing acknowledged) and a new helper writes what comes next. Longer
# than the busy timeout a batch may wait for another process's write lock.
HUNG_SECONDS = 120.0
HEADER = 4


def _code_id() -> str:
    """What identifies this shopdesk's code: a digest of its package's sources as they were when
    the store was first imported. A helper started from other code (shopdesk upgraded, or its files
    edited, under a running server) could not read this process's batches: it refuses to start."""
    import hashlib

    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


CODE_ID = _code_id()
_items_encoder = msgspec.msgpack.Encoder()


def items_decoder(item_type: Any) -> msgspec.msgpack.Decoder:
    """The decoder of a batch's items (the helper keeps one per item type)."""
    return msgspec.msgpack.Decoder(list[item_type])


class WriteProcessEnded(RuntimeError):
    """The helper process ended (or could not be understood) before it answered a batch."""


def frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(HEADER, "big") + payload


def command() -> list[str]:
    """How the helper is started: this interpreter, this shopdesk."""
    return [sys.executable, "-m", "shopdesk.store.write_child"]


def _log_file() -> str | None:
    """The file the root logger writes to, for the helper's log and stderr."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            return handler.baseFilename
    return None


class WriteProcess:
    """The helper process of one GroupWriter."""

    def __init__(self, child: subprocess.Popen, sock: socket.socket) -> None:
        self._child = child
        self._sock: socket.socket | None = sock
        self._transport: asyncio.Transport | None = None
        self._ready: asyncio.Future[bool] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None  # the one its socket is on
        self._waiting: collections.deque[asyncio.Future[tuple[list[Any], bool]]] = collections.deque()
        self.ended = False

    @classmethod
    def start(cls, store_path: Path) -> WriteProcess:
        """Spawn the helper (it opens the store while the caller goes on; see `ready()`)."""
        ours, theirs = socket.socketpair()
        log_path = _log_file()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        stderr = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            child = subprocess.Popen(
                [*command(), str(Path(store_path).absolute()), str(theirs.fileno()),
                 log_path or "", CODE_ID],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=stderr, env=env, start_new_session=True,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
            if stderr is not subprocess.DEVNULL:
                stderr.close()
        return cls(child, ours)

    @property
    def pid(self) -> int:
        return self._child.pid

    async def ready(self) -> bool:
        """Whether the helper has opened the store and waits for batches (False: it ended)."""
        if self._ready is not None and self._ready.done():
            return self._ready.result() and not self.ended
        if self._ready is None:
            loop = self.loop = asyncio.get_running_loop()
            self._ready = loop.create_future()
            sock, self._sock = self._sock, None
            try:
                assert sock is not None
                self._transport, _ = await loop.connect_accepted_socket(
                    lambda: _Frames(self), sock)
            except OSError:
                log.exception("cannot talk to the store's write process")
                self._lost()
        try:
            return await asyncio.wait_for(asyncio.shield(self._ready), READY_SECONDS)
        except TimeoutError:
            log.error("the store's write process did not open the store in %d s", READY_SECONDS)
            return False

    def write(self, write: Any, items: list[Any], max_batch: int,
              item_type: Any = Any) -> asyncio.Future[tuple[list[Any], bool]]:
        """Send a batch; the future gets its outcomes once the transaction holding it committed,
        and whether that transaction began with this batch (the helper writes batches waiting
        together, up to max_batch items, in one transaction)."""
        future: asyncio.Future[tuple[list[Any], bool]] = (
            asyncio.get_running_loop().create_future())
        if self.ended or self._transport is None:
            future.set_exception(WriteProcessEnded("the store's write process has ended"))
            return future
        try:
            packed = _items_encoder.encode(items)  # msgpack: a tenth of pickle's time for Structs
        except (TypeError, msgspec.EncodeError) as error:  # not an item msgspec can carry
            future.set_exception(error)
            return future
        self._transport.write(frame(pickle.dumps((write, item_type, max_batch, packed),
                                                 pickle.HIGHEST_PROTOCOL)))
        self._waiting.append(future)
        return future

    def kill(self, why: str) -> None:
        """End a helper that does not answer (SIGKILL: it may be stopped); its batches fail."""
        if self._child.poll() is None:
            log.error("the store's write process %d %s: killed", self._child.pid, why)
            self._child.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._child.wait(timeout=1)  # SIGKILL: at once (then its exit code is logged)

    async def stop(self) -> None:
        """Close the socket (the helper finishes the batch in hand and exits) and wait for it."""
        if self._transport is not None:
            if self.loop is asyncio.get_running_loop():
                self._transport.close()
            elif self.loop is not None and not self.loop.is_closed():
                self.loop.call_soon_threadsafe(self._transport.close)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        child = self._child
        loop = asyncio.get_running_loop()
        for _ in range(int(STOP_SECONDS / 0.01)):
            if child.poll() is not None:
                break
            await asyncio.sleep(0.01)
        else:
            log.error("the store's write process %d did not stop: killed", child.pid)
            child.kill()
            await loop.run_in_executor(None, child.wait)
        self._lost()

    # --- from the protocol ------------------------------------------------------------------------

    def _answer(self, payload: bytes) -> None:
        try:
            kind, value, *more = pickle.loads(payload)
        except Exception as error:
            log.exception("cannot read an answer of the store's write process")
            kind, value, more = "fail", WriteProcessEnded(
                f"unreadable answer from the write process: {error}"), []
        if kind in ("ready", "refused"):
            if kind == "refused":
                log.error("the store's write process refused to start: %s", value)
            if self._ready is not None and not self._ready.done():
                self._ready.set_result(kind == "ready")
            return
        if not self._waiting:
            log.error("the store's write process answered a batch nobody sent")
            return
        future = self._waiting.popleft()
        if future.done():
            return
        if kind == "ok":
            future.set_result((value, bool(more and more[0])))
        else:
            future.set_exception(value)

    def _lost(self) -> None:
        if not self.ended:
            self.ended = True
            code = self._child.poll()
            if self._waiting or code not in (None, 0):
                log.warning("the store's write process %d ended (exit code %s)",
                            self._child.pid, code)
        if self._ready is not None and not self._ready.done():
            self._ready.set_result(False)
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_exception(WriteProcessEnded(
                    f"the store's write process ended before it answered (pid {self.pid}); "
                    "nothing of this batch was acknowledged"))


class _Frames(asyncio.Protocol):
    def __init__(self, owner: WriteProcess) -> None:
        self._owner = owner
        self._buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while len(buffer) >= HEADER:
            size = int.from_bytes(buffer[:HEADER], "big")
            if len(buffer) < HEADER + size:
                return
            payload = bytes(buffer[HEADER:HEADER + size])
            del buffer[:HEADER + size]
            self._owner._answer(payload)

    def eof_received(self) -> bool:
        return False  # close

    def connection_lost(self, exc: Exception | None) -> None:
        with contextlib.suppress(Exception):
            self._owner._lost()
