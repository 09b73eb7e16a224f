"""Make a member's schema by replaying the template schema's DDL.

django-tenants' own clone runs a PL/pgSQL function (~0.5 s a schema here). Replaying the
template's structure as one batch of DDL costs close to a bare ``CREATE TABLE`` run: the
catalog is read once per process and template migration state, then each clone is a single
round trip, inside the caller's transaction, so a failure leaves no half-made schema.

Tenant assumptions: called with the connection on the public schema; the template is the
member row of kind ``template`` that ``migrate_schemas`` keeps migrated.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader

TEMPLATE_NOT_MIGRATED = (
    "The template schema {schema} lacks migrations {missing}. Run "
    "`python manage.py migrate_schemas` before adding members."
)
TEMPLATE_MISSING = (
    "The template schema {schema} does not exist. Run `python manage.py setup_consortium` first."
)
TEMPLATE_UNSUPPORTED = "The template schema holds objects that cloning does not copy: {objects}."


class TemplateError(RuntimeError):
    """The template cannot be cloned safely; nothing was created."""


@dataclass
class ClonePlan:
    fingerprint: str
    ddl: list[str]  # statements with the template's schema as a placeholder
    seed_tables: list[str] = field(default_factory=list)
    sequences: list[str] = field(default_factory=list)


_plans: dict[tuple[str, str], ClonePlan] = {}
_expected: dict[str, set[tuple[str, str]]] = {}


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def template_schema_name() -> str:
    return settings.TEMPLATE_SCHEMA_NAME


def _tenant_app_labels() -> set[str]:
    from django.apps import apps

    return {apps.get_app_config(name.rsplit(".", 1)[-1]).label for name in settings.TENANT_APPS}


def expected_migrations() -> set[tuple[str, str]]:
    """Every migration of a tenant app on disk (cached per process)."""
    if "tenant" not in _expected:
        labels = _tenant_app_labels()
        loader = MigrationLoader(None, ignore_no_migrations=True)
        _expected["tenant"] = {node for node in loader.graph.nodes if node[0] in labels}
    return _expected["tenant"]


def _fetch(sql: str, params: list[Any] | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def template_check(schema: str) -> str:
    """Refuse a missing or out-of-date template; return its migration fingerprint."""
    if not _fetch("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]):
        raise TemplateError(TEMPLATE_MISSING.format(schema=schema))
    rows = _fetch(f"SELECT app, name FROM {quote_ident(schema)}.django_migrations ORDER BY id")
    applied = {(app, name) for app, name in rows}
    missing = sorted(expected_migrations() - applied)
    if missing:
        shown = ", ".join(f"{app}.{name}" for app, name in missing[:5])
        raise TemplateError(TEMPLATE_NOT_MIGRATED.format(schema=schema, missing=shown))
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _refuse_unsupported(schema: str) -> None:
    found = _fetch(
        """
        SELECT 'relation ' || relname FROM pg_class
         WHERE relnamespace = %(s)s::regnamespace AND relkind IN ('v', 'm', 'f', 'p', 'c')
        UNION ALL
        SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = %(s)s::regnamespace
        UNION ALL
        SELECT 'type ' || typname FROM pg_type
         WHERE typnamespace = %(s)s::regnamespace AND typtype IN ('e', 'd', 'r', 'm')
        UNION ALL
        SELECT 'policy ' || polname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
         WHERE c.relnamespace = %(s)s::regnamespace
        """,
        {"s": schema},
    )
    if found:
        raise TemplateError(TEMPLATE_UNSUPPORTED.format(objects=", ".join(r[0] for r in found)))


def _plan_build(schema: str, fingerprint: str) -> ClonePlan:
    """Read the template's catalog and write it down as DDL."""
    _refuse_unsupported(schema)
    ddl: list[str] = []
    previous_tenant = connection.tenant
    with connection.cursor() as cursor:
        # Qualify every name pg_get_*def prints, template's and public's alike.
        cursor.execute("SET search_path = pg_catalog")
        try:
            cursor.execute(
                """
                SELECT s.relname, format_type(q.seqtypid, NULL), q.seqincrement, q.seqmin,
                       q.seqmax, q.seqstart, q.seqcache, q.seqcycle,
                       (SELECT d.deptype FROM pg_depend d
                         WHERE d.objid = s.oid AND d.classid = 'pg_class'::regclass
                           AND d.deptype IN ('a', 'i') LIMIT 1),
                       (SELECT t.relname || '.' || quote_ident(a.attname)
                          FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
                          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
                         WHERE d.objid = s.oid AND d.classid = 'pg_class'::regclass
                           AND d.deptype = 'a' LIMIT 1)
                  FROM pg_class s JOIN pg_sequence q ON q.seqrelid = s.oid
                 WHERE s.relnamespace = %s::regnamespace AND s.relkind = 'S'
                 ORDER BY s.relname
                """,
                [schema],
            )
            sequences = cursor.fetchall()
            owned_by: list[str] = []
            identity_options: dict[str, str] = {}
            all_sequences: list[str] = []
            for name, typ, inc, smin, smax, start, cache, cycle, deptype, owner in sequences:
                all_sequences.append(name)
                options = (
                    f"AS {typ} INCREMENT BY {inc} MINVALUE {smin} MAXVALUE {smax} "
                    f"START WITH {start} CACHE {cache}{' CYCLE' if cycle else ''}"
                )
                if deptype == "i":
                    identity_options[name] = options
                    continue
                ddl.append(f"CREATE SEQUENCE {{schema}}.{quote_ident(name)} {options}")
                if owner:
                    ddl_owner = f"{{schema}}.{owner}"
                    owned_by.append(
                        f"ALTER SEQUENCE {{schema}}.{quote_ident(name)} OWNED BY {ddl_owner}"
                    )

            cursor.execute(
                """
                SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                       pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
                       CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0
                            THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END,
                       pg_get_serial_sequence(quote_ident(%s) || '.' || quote_ident(c.relname),
                                              a.attname)
                  FROM pg_class c
                  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
                                      AND NOT a.attisdropped
                  JOIN pg_type t ON t.oid = a.atttypid
                  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
                  LEFT JOIN pg_collation co ON co.oid = a.attcollation
                  LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
                 WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r'
                 ORDER BY c.relname, a.attnum
                """,
                [schema, schema],
            )
            tables: dict[str, list[str]] = {}
            for row in cursor.fetchall():
                table, column, typ, notnull, default, identity, generated, collation, seq = row
                parts = [quote_ident(column), typ]
                if collation:
                    parts.append(f"COLLATE {collation}")
                if identity:
                    seq_name = seq.split(".", 1)[1].strip('"') if seq else None
                    kind = "ALWAYS" if identity == "a" else "BY DEFAULT"
                    options = identity_options.get(seq_name or "", "")
                    # Identity options take no AS type; the column's type decides.
                    options = re.sub(r"^AS \S+ ", "", options)
                    name = f"SEQUENCE NAME {{schema}}.{quote_ident(seq_name)} " if seq_name else ""
                    parts.append(f"GENERATED {kind} AS IDENTITY ({name}{options})")
                elif generated == "s":
                    parts.append(f"GENERATED ALWAYS AS ({default}) STORED")
                elif default is not None:
                    parts.append(f"DEFAULT {default}")
                if notnull:
                    parts.append("NOT NULL")
                tables.setdefault(table, []).append(" ".join(parts))
            for table, columns in tables.items():
                ddl.append(
                    f"CREATE TABLE {{schema}}.{quote_ident(table)} (\n  "
                    + ",\n  ".join(columns)
                    + "\n)"
                )
            ddl.extend(owned_by)

            # Constraints: keys and checks first, then foreign keys that need them.
            cursor.execute(
                """
                SELECT c.relname, k.conname, pg_get_constraintdef(k.oid), k.contype
                  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
                 WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r'
                   AND k.contype IN ('p', 'u', 'c', 'x', 'f')
                 ORDER BY CASE k.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 2
                          WHEN 'c' THEN 3 ELSE 4 END, c.relname, k.conname
                """,
                [schema],
            )
            constraints = cursor.fetchall()
            for table, name, definition, _type in constraints:
                ddl.append(
                    f"ALTER TABLE {{schema}}.{quote_ident(table)} "
                    f"ADD CONSTRAINT {quote_ident(name)} {definition}"
                )

            cursor.execute(
                """
                SELECT pg_get_indexdef(i.indexrelid)
                  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
                 WHERE c.relnamespace = %s::regnamespace
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                                    AND k.conrelid = i.indrelid)
                 ORDER BY 1
                """,
                [schema],
            )
            ddl.extend(row[0] for row in cursor.fetchall())

            cursor.execute(
                """
                SELECT pg_get_triggerdef(g.oid)
                  FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
                 WHERE c.relnamespace = %s::regnamespace AND NOT g.tgisinternal
                 ORDER BY g.tgname
                """,
                [schema],
            )
            ddl.extend(row[0] for row in cursor.fetchall())

            seed_tables = []
            if tables:
                probe = " UNION ALL ".join(
                    f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote_ident(schema)}.{quote_ident(t)})"
                    for t in tables
                )
                cursor.execute(probe, list(tables))
                seed_tables = [row[0] for row in cursor.fetchall()]
        finally:
            # Forget the cached search_path so the next cursor sets it again.
            connection.set_tenant(previous_tenant)

    qualified = re.compile(r"(?<![\w\"])" + re.escape(quote_ident(schema)) + r"\.")
    bare = re.compile(r"(?<![\w\"])" + re.escape(schema) + r"\.")
    placeholder = [bare.sub("{schema}.", qualified.sub("{schema}.", s)) for s in ddl]
    return ClonePlan(fingerprint, placeholder, seed_tables, all_sequences)


def clone_plan(schema: str | None = None) -> ClonePlan:
    schema = schema or template_schema_name()
    fingerprint = template_check(schema)
    key = (schema, fingerprint)
    if key not in _plans:
        _plans.clear()
        _plans[key] = _plan_build(schema, fingerprint)
    return _plans[key]


def schema_clone(*, target: str, template: str | None = None) -> ClonePlan:
    """Create schema ``target`` as a copy of the template's structure and seed rows.

    Runs in the caller's transaction: on any error, nothing of the new schema remains.
    """
    template = template or template_schema_name()
    plan = clone_plan(template)
    new = quote_ident(target)
    old = quote_ident(template)
    statements = [f"CREATE SCHEMA {new}"]
    statements += [s.replace("{schema}", new) for s in plan.ddl]
    statements += [
        f"INSERT INTO {new}.{quote_ident(t)} SELECT * FROM {old}.{quote_ident(t)}"
        for t in plan.seed_tables
    ]
    statements += [
        f"SELECT setval('{new}.{quote_ident(s)}', last_value, is_called) "
        f"FROM {old}.{quote_ident(s)}"
        for s in plan.sequences
    ]
    with connection.cursor() as cursor:
        cursor.execute(";\n".join(statements))
    return plan


def schema_migrate(*, target: str, verbosity: int = 0) -> None:
    """Create schema ``target`` by running every tenant migration (the slow path).

    Used to build the template, and by the tests and benchmark as the reference for clones.
    """
    from django.core.management import call_command

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quote_ident(target)}")
    call_command(
        "migrate_schemas", tenant=True, schema_name=target, interactive=False, verbosity=verbosity
    )
    connection.set_schema_to_public()


def schema_signature(schema: str) -> dict[str, list[tuple]]:
    """The structure of a schema with its own name taken out: for comparing clones."""
    queries = {
        "columns": """
            SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
                   a.attnotnull, a.attidentity, a.attgenerated,
                   replace(pg_get_expr(d.adbin, d.adrelid), %(s)s || '.', '')
              FROM pg_class c
              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
              LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
             WHERE c.relnamespace = %(s)s::regnamespace AND c.relkind = 'r'
             ORDER BY 1, 2""",
        "indexes": """
            SELECT indexname, replace(indexdef, %(s)s || '.', '')
              FROM pg_indexes WHERE schemaname = %(s)s ORDER BY 1""",
        "constraints": """
            SELECT c.relname, k.conname, k.contype,
                   replace(pg_get_constraintdef(k.oid), %(s)s || '.', ''),
                   (SELECT CASE WHEN n.nspname = %(s)s THEN 'self' ELSE n.nspname END
                      FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
                     WHERE r.oid = k.confrelid)
              FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
             WHERE c.relnamespace = %(s)s::regnamespace ORDER BY 1, 2""",
        "sequences": """
            SELECT sequencename, data_type, start_value, increment_by
              FROM pg_sequences WHERE schemaname = %(s)s ORDER BY 1""",
        "triggers": """
            SELECT c.relname, g.tgname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
             WHERE c.relnamespace = %(s)s::regnamespace AND NOT g.tgisinternal ORDER BY 1, 2""",
    }
    with connection.cursor() as cursor:
        cursor.execute("SET search_path = pg_catalog")
        try:
            out = {}
            for name, sql in queries.items():
                cursor.execute(sql, {"s": schema})
                out[name] = cursor.fetchall()
        finally:
            connection.set_schema_to_public()
    return out
