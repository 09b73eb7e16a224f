"""A new member's first import can be a leaving member's complete export; a changed export is
refused whole."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm.models import Contact, ContactRole, Interaction, Organisation, Tag
from rights.exit_import import exit_zip_import
from tenants.boundary import member_run
from tenants.models import AuditEntry, Role
from tests.factories.people import UserFactory
from tests.rights.test_exit import export_built, fill, leaving_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings, tmp_path):
    settings.EXIT_EXPORT_ROOT = tmp_path / "exits"


def _import(member, manager, data: bytes):
    return member_run(member, lambda: exit_zip_import(
        member=member, handle=io.BytesIO(data), size=len(data), acting_user=manager,
        filename="export.zip",
    ))  # fmt: skip


def _snapshot():
    return {
        "contacts": sorted(Contact.objects.values_list("pk", "last_name", "email")),
        "organisations": sorted(Organisation.objects.values_list("pk", "name")),
        "tags": sorted(Tag.objects.values_list("name", flat=True)),
        "contact_tags": sorted(Contact.tags.through.objects.values_list("contact_id", "tag_id")),
        "roles": sorted(ContactRole.objects.values_list("contact_id", "organisation_id")),
        "interactions": sorted(Interaction.objects.values_list("pk", "summary")),
        "interaction_contacts": sorted(
            Interaction.contacts.through.objects.values_list("interaction_id", "contact_id")
        ),
    }


def test_a_new_member_starts_from_a_leaving_members_export():
    """Contacts, organisations, tags, roles and interactions arrive as they were, with
    their links, and the new member can go on adding records."""
    old, old_manager = leaving_member("Old")
    fill(old, contacts=4)
    exit_ = export_built(old, old_manager)
    before = member_run(old, _snapshot)
    data = Path(exit_.file_path).read_bytes()

    new, new_manager = leaving_member("New")
    result = _import(new, new_manager, data)
    assert result.contacts == 4
    assert result.organisations == 1
    assert member_run(new, _snapshot) == before
    assert AuditEntry.objects.filter(action="member_exit.imported", member_id=new.pk).exists()
    # The sequences carry on after the imported ids.
    from tests.factories.crm import ContactFactory

    fresh = member_run(new, lambda: ContactFactory(last_name="Later"))
    assert fresh.pk > max(pk for pk, *_ in before["contacts"])


def _tampered(data: bytes) -> bytes:
    """The same ZIP with one contact's surname changed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "tables/crm_contact.json":
                content = content.replace(b"Tester", b"Forger", 1)
            target.writestr(info.filename, content)
    return out.getvalue()


def test_a_changed_export_is_refused_and_nothing_is_written():
    """One changed byte in one file: the import names the file and writes nothing."""
    old, old_manager = leaving_member("Old")
    fill(old, contacts=3)
    data = Path(export_built(old, old_manager).file_path).read_bytes()
    new, new_manager = leaving_member("New")
    with pytest.raises(ValidationError, match=r"crm_contact\.json does not match its checksum"):
        _import(new, new_manager, _tampered(data))
    with pytest.raises(ValidationError, match="not a ZIP"):
        _import(new, new_manager, b"not a zip at all")
    assert member_run(new, lambda: (Contact.objects.count(), Organisation.objects.count())) == (
        0,
        0,
    )


def test_only_a_first_import_and_only_by_a_manager():
    """A member that already has records, or someone who is not its manager, is refused."""
    old, old_manager = leaving_member("Old")
    fill(old, contacts=2)
    data = Path(export_built(old, old_manager).file_path).read_bytes()
    new, new_manager = leaving_member("New")
    staff = UserFactory(member=new, role=Role.STAFF)
    with pytest.raises(PermissionDenied):
        _import(new, staff, data)
    _import(new, new_manager, data)
    with pytest.raises(ValidationError, match="first import"):
        _import(new, new_manager, data)
