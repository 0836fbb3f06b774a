"""Shared test settings. The helpers shared by the folders (waiting.py, ports.py, clocks.py,
and tests/services' worlds) import as top-level modules: pyproject's `pythonpath`.

Hypothesis: the "ci" profile (the default, and what .ci/run selects) has no per-example deadline:
on a machine whose cores are busy with other work an example may take seconds, and that is no bug.
`--hypothesis-profile=dev` keeps Hypothesis's own 200 ms deadline for finding slow examples."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev")
settings.load_profile("ci")
