# The access reviews', the second factor's and single sign-on's migrations, made side by side, joined.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0005_mfa"),
        ("tenants", "0005_reviews"),
        ("tenants", "0005_sso"),
    ]

    operations = []
