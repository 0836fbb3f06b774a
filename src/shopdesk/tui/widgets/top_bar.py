"""The queue's top line: shop name, operator and where the API is served. When the line does not
fit, the shop name gives way first (cut with an ellipsis), so who you are and the API's pid stay."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.widget import Widget

GAP = "  "


def fit_top_line(shop: str, rest: list[str], width: int) -> str:
    """`shopdesk · SHOP  REST…` in `width` cells, the shop name shortened first."""
    tail = GAP.join(rest)
    head = "shopdesk · "
    room = width - cell_len(head) - (cell_len(GAP) + cell_len(tail) if tail else 0)
    if cell_len(shop) > room:
        shop = set_cell_size(shop, room - 1).rstrip() + "…" if room > 1 else ""
    return GAP.join(part for part in (head + shop, tail) if part)


class TopBar(Widget):
    """One line, re-fitted to its width on every paint (so also after a resize)."""

    def __init__(self, shop: str, rest: list[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shop = shop
        self.rest = rest

    def set_rest(self, rest: list[str]) -> None:
        self.rest = rest
        self.refresh()

    def render(self) -> Text:
        return Text(fit_top_line(self.shop, self.rest, self.content_region.width or 80))
