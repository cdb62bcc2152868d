"""Suite-wide: commands that write audit records (cost allocate, apply, …) write them under tmp_path,
never into the checkout's .wardctl/."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _audit_log_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDCTL_AUDIT_LOG", str(tmp_path_factory.mktemp("audit") / "audit.jsonl"))
