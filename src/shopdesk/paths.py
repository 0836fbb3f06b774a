"""Where shopdesk keeps its files, one function per location (platformdirs)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "shopdesk"


def data_dir() -> Path:
    return platformdirs.user_data_path(APP)


def default_db() -> Path:
    """$SHOPDESK_DB, else shopdesk.db in the user data dir."""
    env = os.environ.get("SHOPDESK_DB")
    return Path(env) if env else data_dir() / "shopdesk.db"


def config_file() -> Path:
    """$SHOPDESK_CONFIG, else config.toml in the user config dir."""
    env = os.environ.get("SHOPDESK_CONFIG")
    return Path(env) if env else platformdirs.user_config_path(APP) / "config.toml"


def log_file() -> Path:
    """$SHOPDESK_LOG, else shopdesk.log in the user log dir."""
    env = os.environ.get("SHOPDESK_LOG")
    return Path(env) if env else platformdirs.user_log_path(APP) / "shopdesk.log"
