"""The suite's own teardown: a session left open on the test database (the browser tests'
server subprocess, a worker thread's connection) must not stop it being dropped."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from django.db import connection

from tests.conftest import database_sessions_end


def _connect(dbname: str):
    params = {**connection.get_connection_params(), "dbname": dbname}
    for driver_only in ("cursor_factory", "context", "options"):
        params.pop(driver_only, None)
    return psycopg.connect(**params, autocommit=True)


@pytest.mark.timeout(120)
def test_a_database_with_a_session_left_open_is_still_dropped(db):
    """DROP DATABASE succeeds after the teardown helper although another session is still
    connected to the database (PostgreSQL alone refuses: "is being accessed by other
    users")."""
    name = f"teardown_{uuid.uuid4().hex[:10]}"
    admin = _connect(connection.settings_dict["NAME"])
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    left_open = _connect(name)
    try:
        with admin.cursor() as cursor:
            database_sessions_end(cursor, name)
            cursor.execute(f'DROP DATABASE "{name}"')
            cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [name])
            assert cursor.fetchone()[0] == 0
        with pytest.raises(psycopg.Error), left_open.cursor() as gone:
            gone.execute("SELECT 1")
    finally:
        left_open.close()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
