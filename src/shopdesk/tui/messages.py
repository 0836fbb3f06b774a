"""Messages the TUI posts to itself. Facts in the past tense."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message


@dataclass
class CasesChanged(Message, bubble=False):
    """Something in the store changed (this process's services, or another process's commit).

    A burst coalesces: while one waits in a queue, the next one supersedes it (taking over what
    it said), so 200 webhooks cause one reload.
    """

    whats: frozenset[str] = field(default_factory=frozenset)
    refs: frozenset[str] = field(default_factory=frozenset)

    def can_replace(self, message: Message) -> bool:
        # Textual asks the queued message whether the one behind it (`message`) may supersede it.
        if isinstance(message, CasesChanged):
            message.whats = self.whats | message.whats
            message.refs = self.refs | message.refs
            return True
        return False


@dataclass
class ApiStopped(Message):
    """The embedded API server ended while the app still runs."""

    reason: str


@dataclass
class ApiStarted(Message):
    """This process began serving the API (it took over from a shopdesk that left)."""

    note: str
    notice: str


@dataclass
class AutomaticMoves(Message):
    """shopdesk itself changed cases: detection opened or cleared some, the SLA watch escalated
    some. Shown as a notice: nothing changes silently."""

    what: str  # detection | escalation
    refs: tuple[str, ...]
