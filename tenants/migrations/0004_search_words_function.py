"""Collects the distinct words of new and changed CRM records into the member's word list,
which typo-tolerant search corrects queries against (pg_trgm's spelling-suggestion method).

One statement per write, on the statement's transition table, whatever path wrote the rows.
"""

from django.db import migrations

COLLECT = r"""
CREATE OR REPLACE FUNCTION public.commons_collect_search_words() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
    EXECUTE format(
        'INSERT INTO %I.crm_searchword (word) '
        'SELECT DISTINCT w FROM new_rows, '
        'regexp_split_to_table(new_rows.search_text, ''[^[:alnum:]]+'') AS w '
        'WHERE length(w) BETWEEN 3 AND 40 ON CONFLICT (word) DO NOTHING',
        TG_TABLE_SCHEMA);
    RETURN NULL;
END;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_commons_fold")]

    operations = [
        migrations.RunSQL(
            COLLECT,
            reverse_sql="DROP FUNCTION IF EXISTS public.commons_collect_search_words()",
        )
    ]
