"""The disclosure log and agreement history refuse UPDATE, DELETE and TRUNCATE in the
database itself (grants do not bind a superuser, triggers do)."""

from django.db import migrations

TABLES = ("sharing_disclosure", "sharing_agreementevent")

FORWARD = "".join(
    f"""
    CREATE TRIGGER {t}_no_update_delete BEFORE UPDATE OR DELETE ON public.{t}
        FOR EACH ROW EXECUTE FUNCTION public.commons_refuse_change();
    CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON public.{t}
        FOR EACH STATEMENT EXECUTE FUNCTION public.commons_refuse_change();
    """
    for t in TABLES
)
BACKWARD = "".join(
    f"DROP TRIGGER IF EXISTS {t}_no_update_delete ON public.{t}; "
    f"DROP TRIGGER IF EXISTS {t}_no_truncate ON public.{t};"
    for t in TABLES
)


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0001_initial"),
        ("tenants", "0002_extensions_and_append_only_audit"),
    ]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=BACKWARD)]
