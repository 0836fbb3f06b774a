"""CSV exports over HTTP: GET /api/v1/exports/{kind}.csv, streaming, behind bearer tokens.

The same kinds, filters and columns as `shopdesk export` (docs/exports.md). The filter is checked
before the response starts (400 naming the field; 404 for a kind that does not exist); then the
header line leaves at once and the rows follow as the store yields them.
"""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from shopdesk.api.auth import SECURITY, require_token
from shopdesk.api.errors import error_responses
from shopdesk.domain.errors import NotFoundError
from shopdesk.services import Services
from shopdesk.services.exports import KINDS, filter_from_text

_Text = Annotated[str | None, QueryParameter()]
_List = Annotated[list[str] | None, QueryParameter()]


@get(
    "/api/v1/exports/{name:str}",
    summary="A CSV export: cases, events, remedies, summary, carriers or departments",
    description="`name` is the kind with `.csv`, e.g. `cases.csv`. Query parameters filter the "
    "cases as `shopdesk export` does: `from`/`to` (YYYY-MM-DD in the shop's time zone, `to` "
    "included; the cases opened in the period, or for `carriers` the orders shipped in it), "
    "`status`, `kind` (a kind or a group), `level`, `urgent`, `carrier`, all repeatable or "
    "comma separated where they are lists; `bom=true` starts the file with a UTF-8 BOM. "
    "The body streams: the header line first, then the rows.",
    responses=error_responses(401, 404),
    guards=[require_token],
    security=SECURITY,
    tags=["exports"],
    media_type="text/csv",
)
async def export_csv(
    services: NamedDependency[Services],
    name: FromPath[str],
    period_from: Annotated[str | None, QueryParameter(name="from", description="YYYY-MM-DD")] = None,
    period_to: Annotated[str | None, QueryParameter(name="to", description="YYYY-MM-DD, included")] = None,
    status: _List = None,
    kind: _List = None,
    level: _List = None,
    urgent: _Text = None,
    carrier: _Text = None,
    bom: Annotated[bool | None, QueryParameter(description="UTF-8 BOM (default: config)")] = None,
) -> Stream:
    export_kind = name.removesuffix(".csv")
    if not name.endswith(".csv") or export_kind not in KINDS:
        raise NotFoundError(
            f"no export {name!r}; exports: {', '.join(k + '.csv' for k in KINDS)}", field="kind"
        )
    case_filter = filter_from_text(
        services.settings.timezone, period_from=period_from, period_to=period_to,
        statuses=status, kinds=kind, levels=level, urgent=urgent, carrier=carrier,
    )
    return Stream(
        services.exports.stream(export_kind, case_filter, bom=bom),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export_kind}.csv"',
            "Cache-Control": "no-store",
        },
    )


ROUTES = [export_csv]
