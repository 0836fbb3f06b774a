"""The CLI loads no front end until a command needs one: checked in a fresh interpreter (harlequin's
test). Which package may import which is held by the import-linter contracts (tests/test_layers.py);
this is what they cannot see: imports done when a function runs."""

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


def test_building_the_cli_parser_loads_no_front_end_and_no_database():
    """Every subcommand module is imported for `--version`: none may load heavy things at import."""
    loaded = top_level(modules_after("import shopdesk.cli\nshopdesk.cli.build_parser()"))
    assert "shopdesk" in loaded
    assert not loaded & {"textual", "litestar", "uvicorn", "aiosqlite"}
