"""Extensions in the public schema (a shared app's migration, so never inside a member's),
and the database-level guarantee that the audit log is append-only.
"""

from django.db import migrations

EXTENSIONS = ("pg_trgm", "btree_gist", "unaccent")

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION public.commons_refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION 'table %.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER tenants_auditentry_no_update_delete
    BEFORE UPDATE OR DELETE ON public.tenants_auditentry
    FOR EACH ROW EXECUTE FUNCTION public.commons_refuse_change();
CREATE TRIGGER tenants_auditentry_no_truncate
    BEFORE TRUNCATE ON public.tenants_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION public.commons_refuse_change();
"""

DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS tenants_auditentry_no_update_delete ON public.tenants_auditentry;
DROP TRIGGER IF EXISTS tenants_auditentry_no_truncate ON public.tenants_auditentry;
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [
        *[
            migrations.RunSQL(
                f"CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA public",
                reverse_sql=migrations.RunSQL.noop,
            )
            for name in EXTENSIONS
        ],
        migrations.RunSQL(APPEND_ONLY, reverse_sql=DROP_APPEND_ONLY),
    ]
