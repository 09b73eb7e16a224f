"""The one definition of how search text is folded, used by generated columns and queries.

Schema-qualified and with its own search_path, as PostgreSQL 17+ requires for functions in
index and generated-column expressions.
"""

from django.db import migrations

FOLD = """
CREATE OR REPLACE FUNCTION public.commons_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, public
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0002_extensions_and_append_only_audit")]

    operations = [
        migrations.RunSQL(FOLD, reverse_sql="DROP FUNCTION IF EXISTS public.commons_fold(text)")
    ]
