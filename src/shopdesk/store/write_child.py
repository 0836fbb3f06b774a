"""The store's write process (see write_process.py): `python -m shopdesk.store.write_child STORE FD
LOG CODE_ID`. Refuses to start when its code is not the parent's (CODE_ID: shopdesk upgraded under
a running server). Opens STORE as the writer connection does (busy timeout, foreign keys,
synchronous=FULL; the parent has already migrated it and switched on WAL), says ready on the
socket FD, then writes
the batches it receives, all that wait together (up to a batch's max_batch items) in one
transaction (store.group_writer.write_batch), and answers each with its outcomes once committed.
Ends when the socket closes."""

from __future__ import annotations

import logging
import os
import pickle
import signal
import socket
import sqlite3
import sys
from pathlib import Path
from typing import Any

from shopdesk.store.write_process import CODE_ID, HEADER, frame, items_decoder

log = logging.getLogger(__name__)


def _connect(path: str) -> sqlite3.Connection:
    from shopdesk.store.db import BUSY_TIMEOUT_MS

    # mode=rw: the store must exist (the parent opened it); a file deleted meanwhile is not made
    # again, empty, at its path
    db = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=rw", uri=True,
                         isolation_level=None, check_same_thread=True)
    db.row_factory = sqlite3.Row
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = FULL")  # a delivery answered 2xx survives power loss
    return db


def _portable(outcomes: list[Any]) -> list[Any]:
    """Outcomes the parent can unpickle: an exception that cannot make the trip (one whose
    constructor takes other arguments than its message) goes as a RuntimeError saying the same."""
    portable = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            try:
                pickle.loads(pickle.dumps(outcome))
            except Exception:  # noqa: BLE001
                outcome = RuntimeError(f"{type(outcome).__name__}: {outcome}")
        portable.append(outcome)
    return portable


def _dumps(reply: tuple[str, Any]) -> bytes:
    try:
        return pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
    except Exception as error:  # noqa: BLE001 - a result that cannot be sent: say so
        return pickle.dumps(("fail", RuntimeError(f"cannot send the batch's outcome: {error}")))


class _Incoming:
    """Frames from the parent: wait for one, then take whatever else has already arrived."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self.closed = False

    def frames(self) -> list[bytes]:
        """The frames at hand, waiting for one if need be; [] once the parent closed the socket."""
        frames = self._complete()
        while not frames and not self.closed:
            self._receive(block=True)
            frames = self._complete()
        while not self.closed and self._receive(block=False):
            pass
        return frames + self._complete()

    def _receive(self, *, block: bool) -> bool:
        self._sock.setblocking(block)
        try:
            data = self._sock.recv(1 << 20)
        except BlockingIOError:
            return False
        except ConnectionResetError:
            data = b""
        if not data:
            self.closed = True
            return False
        self._buffer += data
        return True

    def _complete(self) -> list[bytes]:
        frames, buffer, start = [], self._buffer, 0
        while len(buffer) - start >= HEADER:
            size = int.from_bytes(buffer[start:start + HEADER], "big")
            if len(buffer) - start - HEADER < size:
                break
            frames.append(bytes(buffer[start + HEADER:start + HEADER + size]))
            start += HEADER + size
        del buffer[:start]
        return frames


def _transactions(batches: list[tuple[Any, list[Any], int]]) -> list[list[int]]:
    """Indexes of the batches to write together: in order, same write, up to max_batch items."""
    groups: list[list[int]] = []
    items = 0
    for index, (write, batch, max_batch) in enumerate(batches):
        if (groups and batches[groups[-1][0]][0] is write and items + len(batch) <= max_batch):
            groups[-1].append(index)
            items += len(batch)
        else:
            groups.append([index])
            items = len(batch)
    return groups


def refuse(sock: socket.socket, why: str) -> None:
    """Say why this helper will not write (the parent writes on its own thread then)."""
    log.error("the store's write process refuses to start: %s", why)
    sock.sendall(frame(pickle.dumps(("refused", why))))


def serve(sock: socket.socket, db: sqlite3.Connection) -> None:
    from shopdesk.store.group_writer import write_batch

    incoming = _Incoming(sock)
    decoders: dict[Any, Any] = {}  # item type -> its msgpack decoder
    sock.sendall(frame(pickle.dumps(("ready", os.getpid()))))
    while frames := incoming.frames():
        batches: list[tuple[Any, list[Any], int] | Exception] = []
        for payload in frames:
            try:
                write, item_type, max_batch, packed = pickle.loads(payload)
                decoder = decoders.get(item_type)
                if decoder is None:
                    decoder = decoders[item_type] = items_decoder(item_type)
                batches.append((write, decoder.decode(packed), int(max_batch)))
            except Exception as error:  # noqa: BLE001 - this frame's answer
                batches.append(error)
        readable = [(i, batch) for i, batch in enumerate(batches) if not isinstance(batch, Exception)]
        answers: dict[int, tuple[str, Any, bool]] = {
            i: ("fail", RuntimeError(f"unreadable batch: {batch}"), False)
            for i, batch in enumerate(batches) if isinstance(batch, Exception)}
        for group in _transactions([batch for _, batch in readable]):
            members = [readable[k] for k in group]
            write = members[0][1][0]
            items = [item for _, (_, batch, _) in members for item in batch]
            try:
                outcomes = _portable(write_batch(db, write, items))
                at = 0
                for position, (i, (_, batch, _)) in enumerate(members):
                    answers[i] = ("ok", outcomes[at:at + len(batch)], position == 0)
                    at += len(batch)
            except Exception as error:
                log.exception("the write process could not write %d items", len(items))
                failed = _portable([error])[0]
                for i, _ in members:
                    answers[i] = ("fail", failed, False)
        replies = [frame(_dumps(answers[i])) for i in range(len(batches))]
        sock.setblocking(True)
        sock.sendall(b"".join(replies))


def main(argv: list[str]) -> int:
    # Ends when its parent closes the socket (or dies), never in the middle of a batch: a stop of
    # the whole service (systemd's SIGTERM to every process of the unit, Ctrl+C, a hangup) is for
    # the parent, which drains its deliveries through this process and then closes the socket.
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    store, fd = argv[0], int(argv[1])
    if len(argv) > 2 and argv[2]:
        from shopdesk.logs import configure_file_logging

        configure_file_logging(Path(argv[2]))
    sock = socket.socket(fileno=fd)
    parent_code = argv[3] if len(argv) > 3 else ""
    if parent_code != CODE_ID:
        refuse(sock, "shopdesk's code on disk is not the code of the process that started it "
                     "(shopdesk upgraded or edited under a running server): restart that process")
        sock.close()
        return 3
    try:
        db = _connect(store)
    except sqlite3.Error:
        log.exception("the write process cannot open %s", store)
        return 1
    try:
        serve(sock, db)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent is gone: nobody waits for an answer
    finally:
        db.close()
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
