"""The template members use most: a directory of local groups shared with all members."""

from django.db import migrations


def add(apps, schema_editor):
    if getattr(schema_editor.connection, "schema_name", "public") != "public":
        return
    template = apps.get_model("sharing", "AgreementTemplate")
    template.objects.get_or_create(
        name="Directory of local groups",
        defaults={
            "description": "Organisations' names, addresses, areas of work and who they help, "
            "shared with all members so anyone can signpost to local groups.",
            "purpose": "directory",
            "all_members": True,
            "record_types": ["organisation"],
            "organisation_fields": ["name", "org_type", "identifiers", "address_line1", "town",
                                    "postcode", "district", "website", "areas_of_work",
                                    "beneficiaries"],
            "criteria_tags": ["Directory 2026"],
            "requires_consent": False,
            "access_mode": "export",
            "expected_benefit": "Members can signpost people to the right local group, and "
            "groups are found without each member asking them for the same details.",
            "retention": "Recipients keep no copies beyond exports for signposting, deleted "
            "within 12 months or when the agreement ends.",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("sharing", "0003_agreement_templates")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
