"""The built wheel carries schema.sql: install it in a fresh venv and open a store with it.

The fresh venv gets only the wheel; the dependencies (textual, msgspec, aiosqlite …) come from the
environment running the tests through a .pth line, so no network is needed. Its site-packages comes
first, so `import shopdesk` there is the wheel's copy, never the source tree's.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def build_wheel(out: Path) -> Path:
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-q", "-w", str(out)]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-build-isolation")  # build with the hatchling we have: no download
    result = subprocess.run([*command, str(ROOT)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    [wheel] = out.glob("shopdesk-*.whl")
    return wheel


def fresh_venv(where: Path) -> Path:
    venv.EnvBuilder(with_pip=False, clear=True).create(where)
    python = where / "bin" / "python"
    site_packages = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site_packages / "zz_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    return python


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(base / "dist")
    python = fresh_venv(base / "venv")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
         "-q", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return base, wheel, python


def test_the_wheel_contains_schema_sql(installed):
    _base, wheel, _python = installed
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("shopdesk/schema.sql").decode() == (ROOT / "schema.sql").read_text(encoding="utf-8")
        names = archive.namelist()
    assert "shopdesk/cli/__init__.py" in names
    assert not any(name.startswith(("tests/", "src/")) for name in names)


def test_the_installed_wheel_opens_a_store(installed):
    base, _wheel, python = installed
    work = base / "elsewhere"  # not the source tree: nothing to fall back on
    work.mkdir(exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "SHOPDESK_DB")}
    env.update(SHOPDESK_CONFIG=str(work / "none.toml"), SHOPDESK_LOG=str(work / "log"))
    where = subprocess.run(
        [str(python), "-c", "import shopdesk, sys; print(shopdesk.__file__)"],
        capture_output=True, text=True, cwd=work, env=env, check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(base / "venv"), where

    shopdesk = python.parent / "shopdesk"
    store = work / "wheel.db"
    demo = subprocess.run([str(shopdesk), "--db", str(store), "demo", "--cases", "12"],
                          capture_output=True, text=True, cwd=work, env=env, timeout=120)
    assert demo.returncode == 0, demo.stderr
    listed = subprocess.run([str(shopdesk), "--db", str(store), "cases", "list", "--all"],
                            capture_output=True, text=True, cwd=work, env=env, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("C-0000") == 12
