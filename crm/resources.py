"""django-import-export resources: the CRM's column definitions for exports (and the
library's default import path, which the import benchmark measures ours against)."""

from __future__ import annotations

from import_export import fields, resources

from .models import Contact, Organisation


class ContactResource(resources.ModelResource):
    first_name = fields.Field(attribute="first_name", column_name="First name")
    last_name = fields.Field(attribute="last_name", column_name="Last name")
    preferred_name = fields.Field(attribute="preferred_name", column_name="Preferred name")
    email = fields.Field(attribute="email", column_name="Email")
    phone = fields.Field(attribute="phone", column_name="Phone")
    mobile = fields.Field(attribute="mobile", column_name="Mobile")
    address_line1 = fields.Field(attribute="address_line1", column_name="Address")
    address_line2 = fields.Field(attribute="address_line2", column_name="Address line 2")
    town = fields.Field(attribute="town", column_name="Town")
    county = fields.Field(attribute="county", column_name="County")
    postcode = fields.Field(attribute="postcode", column_name="Postcode")
    tags = fields.Field(column_name="Tags")

    class Meta:
        model = Contact
        import_id_fields = ["email"]
        fields = [
            "id", "title", "first_name", "last_name", "preferred_name", "email", "phone",
            "mobile", "address_line1", "address_line2", "town", "county", "postcode", "tags",
        ]  # fmt: skip
        export_order = fields
        skip_unchanged = True

    def dehydrate_tags(self, contact: Contact) -> str:
        return "; ".join(t.name for t in contact.tags.all())


class OrganisationResource(resources.ModelResource):
    name = fields.Field(attribute="name", column_name="Name")
    org_type = fields.Field(column_name="Type")
    identifiers = fields.Field(column_name="Identifiers")
    email = fields.Field(attribute="email", column_name="Email")
    phone = fields.Field(attribute="phone", column_name="Phone")
    address_line1 = fields.Field(attribute="address_line1", column_name="Address")
    town = fields.Field(attribute="town", column_name="Town")
    postcode = fields.Field(attribute="postcode", column_name="Postcode")
    district = fields.Field(attribute="district", column_name="District")
    website = fields.Field(attribute="website", column_name="Website")
    areas_of_work = fields.Field(column_name="Areas of work")
    tags = fields.Field(column_name="Tags")

    class Meta:
        model = Organisation
        fields = [
            "id", "name", "org_type", "identifiers", "email", "phone", "address_line1", "town",
            "postcode", "district", "website", "areas_of_work", "tags",
        ]  # fmt: skip
        export_order = fields

    def dehydrate_org_type(self, org: Organisation) -> str:
        return org.get_org_type_display()

    def dehydrate_identifiers(self, org: Organisation) -> str:
        return "; ".join(str(i) for i in org.identifiers.all())

    def dehydrate_areas_of_work(self, org: Organisation) -> str:
        return "; ".join(org.areas_of_work)

    def dehydrate_tags(self, org: Organisation) -> str:
        return "; ".join(t.name for t in org.tags.all())
