"""The disclosure-log purge without a superuser (issue 14).

Before: the purge set ``session_replication_role = replica`` to silence the append-only
triggers, which only a superuser may (and a superuser may also simply disable them). Now:

* ``public.commons_disclosures_purge(before)`` is a ``SECURITY DEFINER`` function owned by the
  role that runs this migration (the owner role of deploy/README.md). It deletes disclosure
  entries older than ``before`` (never anything younger than a year: the database holds that
  rule too) and returns how many went.
* The disclosure log's row trigger (``commons_disclosure_guard``) refuses UPDATE always, and
  DELETE unless both: the transaction-local flag ``commons.purging_disclosures`` is on, and the
  statement runs with the privileges of the purge function's owner, which the application role
  only has inside that function. Any role can set a ``commons.*`` placeholder setting, so the
  flag alone proves nothing; it keeps the owner role itself from deleting by accident outside
  the function. The check on ``current_user`` is what an application role cannot forge, as long
  as it is not the owner and not a member of the owner role.
* Every other append-only table keeps ``commons_refuse_change`` untouched: the flag means
  nothing to them, and TRUNCATE of the disclosure log is still refused.
* EXECUTE on the function is revoked from PUBLIC: grant it to the application role
  (deploy/README.md).
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION public.commons_disclosures_purge(before timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    removed bigint;
BEGIN
    IF before IS NULL OR before > now() - interval '365 days' THEN
        RAISE EXCEPTION 'the disclosure log keeps at least a year: cut-off % refused', before
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM set_config('commons.purging_disclosures', 'on', true);
    DELETE FROM public.sharing_disclosure WHERE at < before;
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('commons.purging_disclosures', 'off', true);
    RETURN removed;
END;
$$;
REVOKE ALL ON FUNCTION public.commons_disclosures_purge(timestamptz) FROM PUBLIC;

CREATE FUNCTION public.commons_disclosure_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('commons.purging_disclosures', true) = 'on'
       AND current_user = (
           SELECT pg_get_userbyid(proowner) FROM pg_proc
           WHERE oid = 'public.commons_disclosures_purge(timestamptz)'::regprocedure
       )
    THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'table %.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

DROP TRIGGER sharing_disclosure_no_update_delete ON public.sharing_disclosure;
CREATE TRIGGER sharing_disclosure_no_update_delete BEFORE UPDATE OR DELETE
    ON public.sharing_disclosure FOR EACH ROW EXECUTE FUNCTION public.commons_disclosure_guard();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS sharing_disclosure_no_update_delete ON public.sharing_disclosure;
CREATE TRIGGER sharing_disclosure_no_update_delete BEFORE UPDATE OR DELETE
    ON public.sharing_disclosure FOR EACH ROW EXECUTE FUNCTION public.commons_refuse_change();
DROP FUNCTION IF EXISTS public.commons_disclosure_guard();
DROP FUNCTION IF EXISTS public.commons_disclosures_purge(timestamptz);
"""


class Migration(migrations.Migration):
    dependencies = [("sharing", "0013_default_rules")]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=BACKWARD)]
