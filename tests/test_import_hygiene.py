"""The core must not pull in the front ends: checked in a fresh interpreter (harlequin's test)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def modules_after(code: str) -> set[str]:
    probe = textwrap.dedent(code) + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_core_and_cli_leave_textual_and_litestar_out():
    loaded = top_level(modules_after(
        "import shopdesk.domain, shopdesk.services, shopdesk.store, shopdesk.cli, shopdesk.config"
    ))
    assert "shopdesk" in loaded
    assert not loaded & {"textual", "litestar", "uvicorn"}


def test_building_the_cli_parser_loads_no_front_end_and_no_database():
    """Every subcommand module is imported for `--version`: none may load heavy things at import."""
    loaded = top_level(modules_after("import shopdesk.cli\nshopdesk.cli.build_parser()"))
    assert not loaded & {"textual", "litestar", "uvicorn", "aiosqlite"}


def test_the_domain_is_pure():
    loaded = top_level(modules_after(
        """
        import pkgutil, importlib, shopdesk.domain
        for info in pkgutil.walk_packages(shopdesk.domain.__path__, "shopdesk.domain."):
            importlib.import_module(info.name)
        """
    ))
    assert not loaded & {"aiosqlite", "sqlite3", "_sqlite3", "textual", "litestar", "asyncio"}


def test_the_services_and_demo_need_no_front_end():
    loaded = top_level(modules_after("import shopdesk.services.demo, shopdesk.services.orders"))
    assert not loaded & {"textual", "litestar", "uvicorn"}
