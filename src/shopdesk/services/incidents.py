"""Incidents (紧急状态/突发事件): declare, link affected cases, act on them at once, review."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shopdesk.domain import kinds
from shopdesk.domain.cases import Actor, Incident
from shopdesk.domain.errors import NotFoundError, ValidationError
from shopdesk.domain.filters import CaseFilter
from shopdesk.services.changes import Change
from shopdesk.services.operators import require_writer
from shopdesk.store import cases as case_rows
from shopdesk.store import incidents as incident_rows

if TYPE_CHECKING:
    from shopdesk.services import Services


class IncidentService:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def declare(
        self,
        actor: Actor,
        *,
        title: str,
        type: str,
        level: int,
        description: str = "",
        started_at: datetime | None = None,
    ) -> Incident:
        require_writer(actor)
        title = title.strip()
        if not title:
            raise ValidationError(
                "an incident needs a title", field="title", code="incident_title_needed"
            )
        if type not in kinds.INCIDENT_TYPES:
            raise ValidationError(
                f"unknown incident type {type!r}; expected one of: {', '.join(kinds.INCIDENT_TYPES)}",
                field="type",
                code="unknown_value",
                params={"input": "incident_type", "value": type,
                        "allowed": list(kinds.INCIDENT_TYPES)},
            )
        kinds.check_level(level)
        now = self._services.now()
        async with self._services.store.transaction() as conn:
            incident_id = await incident_rows.insert_incident(
                conn, title=title, type=type, level=level, started_at=started_at or now,
                owner=actor.name, description=description.strip(), at=now,
            )
            incident = await incident_rows.get_incident(conn, incident_id)
        assert incident is not None
        self._services.changes.publish(Change(what="incident", ref=incident.ref, actor=actor.name))
        return incident

    async def get(self, incident_id: int) -> Incident:
        incident = await incident_rows.get_incident(self._services.store.reader, incident_id)
        if incident is None:
            raise NotFoundError(
                f"no incident {incident_id}", field="incident", code="no_incident",
                params={"incident": incident_id},
            )
        return incident

    async def list(self) -> list[Incident]:
        return await incident_rows.list_incidents(self._services.store.reader)

    async def count_cases(self, incident_id: int) -> int:
        return await incident_rows.count_linked_cases(self._services.store.reader, incident_id)

    async def link(self, actor: Actor, incident_id: int, case_filter: CaseFilter) -> int:
        require_writer(actor)
        """Link every case matching the filter (e.g. open cases of carrier X); returns how many."""
        incident = await self.get(incident_id)
        now = self._services.now()
        linked = 0
        async with self._services.store.transaction() as conn:
            matching = await case_rows.list_cases(conn, case_filter, now, limit=100_000)
            for case in matching:
                if await incident_rows.link_case(conn, incident_id, case.id, now):
                    await case_rows.insert_event(
                        conn, case.id, at=now, actor=actor.name, type="incident_linked",
                        data={"incident": incident.ref, "title": incident.title},
                    )
                    linked += 1
        self._services.changes.publish(Change(what="incident", ref=incident.ref, actor=actor.name))
        return linked

    async def end(
        self,
        actor: Actor,
        incident_id: int,
        *,
        cause: str,
        impact: str,
        changes: str,
        ended_at: datetime | None = None,
    ) -> Incident:
        require_writer(actor)
        """End the incident with its review (总结与改进): cause, impact, what changes."""
        incident = await self.get(incident_id)
        if incident.status == "ended":
            raise ValidationError(
                f"{incident.ref} has already ended", field="status", code="incident_ended",
                params={"ref": incident.ref},
            )
        if not cause.strip():
            raise ValidationError("the review needs a cause", field="cause", code="review_cause_needed")
        async with self._services.store.transaction() as conn:
            await incident_rows.end_incident(
                conn, incident_id, ended_at=ended_at or self._services.now(),
                review_cause=cause.strip(), review_impact=impact.strip(),
                review_changes=changes.strip(),
            )
        self._services.changes.publish(Change(what="incident", ref=incident.ref, actor=actor.name))
        return await self.get(incident_id)
