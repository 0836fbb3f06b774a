"""Helpers for tests that watch other processes (shopdesk's store write process above all)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from waiting import scaled


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie, ended but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (ProcessLookupError, FileNotFoundError):
        return False
    return state != "Z"


def gone(pid: int, timeout: float = 10.0) -> bool:
    """Whether the process has ended within `timeout` seconds."""
    deadline = time.monotonic() + scaled(timeout)
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def children(pid: int) -> list[int]:
    """The pids of a process's children (of its main thread)."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []
