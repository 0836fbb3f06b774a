"""CSV export routes (issue 5). Placeholder until the exports are built: no routes yet."""

ROUTES: list = []
