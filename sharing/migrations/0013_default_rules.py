"""The consortium's rules start as Commons has always behaved: dates of birth, notes, notes
of interactions and anything on a restricted contact are never shared (locked: there is no
way to share them), one policy per purpose with no further limits, admin approval as the
COMMONS_SHARING_ADMIN_APPROVAL setting says. The rule log is append-only."""

from django.db import migrations

LOCKED = [
    ("contact", "date_of_birth"),
    ("contact", "notes"),
    ("contact", "interaction_notes"),
    ("contact", "restricted"),
    ("organisation", "notes"),
    ("organisation", "interaction_notes"),
]
PURPOSES = ["directory", "event_promotion", "joint_delivery", "research", "other"]

FORWARD = """
CREATE TRIGGER sharing_rulechange_no_update_delete BEFORE UPDATE OR DELETE
    ON public.sharing_rulechange FOR EACH ROW EXECUTE FUNCTION public.commons_refuse_change();
CREATE TRIGGER sharing_rulechange_no_truncate BEFORE TRUNCATE
    ON public.sharing_rulechange FOR EACH STATEMENT EXECUTE FUNCTION public.commons_refuse_change();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS sharing_rulechange_no_update_delete ON public.sharing_rulechange;
DROP TRIGGER IF EXISTS sharing_rulechange_no_truncate ON public.sharing_rulechange;
"""


def add(apps, schema_editor):
    if getattr(schema_editor.connection, "schema_name", "public") != "public":
        return
    field_rule = apps.get_model("sharing", "FieldRule")
    policy = apps.get_model("sharing", "PurposePolicy")
    for record_type, field in LOCKED:
        field_rule.objects.get_or_create(
            record_type=record_type, field=field, defaults={"mode": "never", "locked": True}
        )
    for purpose in PURPOSES:
        policy.objects.get_or_create(purpose=purpose)


class Migration(migrations.Migration):
    dependencies = [("sharing", "0012_consortium_rules")]

    operations = [
        migrations.RunSQL(FORWARD, reverse_sql=BACKWARD),
        migrations.RunPython(add, migrations.RunPython.noop),
    ]
