"""What changed since you looked: every case's timeline lines after a mark, whatever their type
(escalations by the sweep, cases detected or opened by intake, failures to send, edits by others).

The mark is kept per operator in store_meta, so the next session starts where this one stopped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shopdesk.domain.cases import CaseEvent
from shopdesk.store import cases as case_rows
from shopdesk.store import meta

if TYPE_CHECKING:
    from shopdesk.services import Services

SHOWN = 200  # the most lines an activity list holds


def _key(operator: str) -> str:
    return f"activity_seen:{operator}"


class ActivityService:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def latest(self) -> int:
        return await case_rows.last_event_id(self._services.store.reader)

    async def since(self, after_id: int, *, limit: int = SHOWN,
                    not_by: str | None = None) -> list[CaseEvent]:
        """Lines written after `after_id`, newest first, leaving out those by `not_by` (you)."""
        events = await case_rows.list_events_after(self._services.store.reader, after_id,
                                                   limit=limit)
        return [event for event in events if event.actor != not_by]

    async def seen(self, operator: str) -> int | None:
        """Where `operator` last looked (None: never)."""
        value = await meta.get_value(self._services.store.reader, _key(operator))
        return int(value) if value and value.isdigit() else None

    async def mark_seen(self, operator: str, event_id: int) -> None:
        async with self._services.store.transaction() as conn:
            await meta.set_value(conn, _key(operator), str(event_id))

    def by_the_desk(self, event: CaseEvent) -> bool:
        """Whether a line was written by no operator: the sweep, intake, detection, a sender."""
        return event.actor not in set(self._services.operators.active_names())
