"""Intake problems: the quarantined deliveries that still need a look (the TUI's Intake problems
view, `shopdesk source problems`), and dismissing one an operator has handled (QA N9).

A dismissed delivery stays stored, body and all (`source deliveries` and audits still see it); it
only leaves the problems list and its count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shopdesk.domain.cases import Actor
from shopdesk.domain.errors import ConflictError, NotFoundError, ValidationError
from shopdesk.domain.intake.records import Delivery
from shopdesk.services.changes import Change
from shopdesk.services.operators import require_writer
from shopdesk.store import intake_problems as problem_rows

if TYPE_CHECKING:
    from shopdesk.services import Services


class ProblemService:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def list(self, *, limit: int = 100, offset: int = 0) -> list[Delivery]:
        """Quarantined deliveries not dismissed, newest first."""
        return await problem_rows.list_problems(
            self._services.store.reader, limit=limit, offset=offset
        )

    async def count(self) -> int:
        return await problem_rows.count_problems(self._services.store.reader)

    async def dismiss(self, actor: Actor, delivery_id: int) -> None:
        """Mark a quarantined delivery handled: it leaves the problems, and stays stored."""
        require_writer(actor)
        if delivery_id < 1:
            raise ValidationError(f"{delivery_id} is not a delivery id", field="delivery_id")
        async with self._services.store.transaction() as conn:
            state = await problem_rows.delivery_state(conn, delivery_id)
            if state is None:
                raise NotFoundError(f"no delivery #{delivery_id}", field="delivery_id")
            status, dismissed_by = state
            if dismissed_by is not None:
                raise ConflictError(
                    f"delivery #{delivery_id} was dismissed already, by {dismissed_by}",
                    field="delivery_id",
                )
            if status != "quarantined":
                raise ValidationError(
                    f"delivery #{delivery_id} is {status}, not an intake problem: nothing to "
                    "dismiss", field="delivery_id",
                )
            await problem_rows.insert_dismissal(
                conn, delivery_id, actor=actor.name, at=self._services.now()
            )
        self._services.changes.publish(
            Change(what="delivery", ref=str(delivery_id), actor=actor.name)
        )
