"""The only place with SQL: aiosqlite connections, migrations and one module per table family."""

from shopdesk.store.db import Store, open_store

__all__ = ["Store", "open_store"]
