"""The people's-rights benchmark (bench/data_rights.py) runs end to end in its quick size.

It runs as a process of its own on a fresh database of its own (made here, migrated by the
benchmark's bootstrap, dropped afterwards): the benchmark commits what it builds, and the
audit log it writes is append-only, so it must not write into the test database.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest
from psycopg import sql

from tests.conftest import ROOT, _database_url

KEYS = ("lookup_p95_ms", "sar_s", "erasure_s", "retention_s", "exit_export_s", "exit_peak_mb")


@pytest.fixture
def scratch_database(django_db_setup):
    """A new, empty database on the test server, dropped afterwards; its URL."""
    url = urlparse(_database_url())
    name = f"{url.path.lstrip('/')}_bench_{secrets.token_hex(3)}"
    with psycopg.connect(_database_url(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunparse(url._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(_database_url(), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.mark.timeout(300)
def test_the_quick_benchmark_prints_its_table_and_every_figure(scratch_database, tmp_path):
    """``--quick`` (3 members x 2,000 contacts) measures all five things and ends with one
    JSON line holding each figure, every one positive (the targets are for the full size,
    on a quiet machine: not asserted here)."""
    env = {
        **os.environ, "DATABASE_URL": scratch_database,
        "DJANGO_SETTINGS_MODULE": "consortium.settings.test",
        # Progress on a connection of its own, as deployed (the export is one read-only
        # snapshot transaction; the test settings' default puts progress inside it).
        "COMMONS_IMPORT_PROGRESS_DATABASE": "progress",
        "COMMONS_MEDIA_ROOT": str(tmp_path / "media"),
        "COMMONS_EXIT_EXPORT_ROOT": str(tmp_path / "exits"),
    }  # fmt: skip
    out = subprocess.run(
        [sys.executable, "bench/data_rights.py", "--quick"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert set(figures) == set(KEYS)
    assert all(figures[key] > 0 for key in KEYS), figures
    assert "lookup answers that differ from the federation's: 0 of 60" in out.stdout
    assert any(line.startswith("retention did:") and '"contact"' in line for line in lines)
    assert not list((tmp_path / "exits").rglob("*.zip")), "the benchmark leaves no export"
