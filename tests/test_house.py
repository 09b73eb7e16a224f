"""The house rules hold for the project, and each check finds the offence it is for.

The checks live in ``tests/house.py`` (``make lint`` runs them without a database); here each
runs under pytest over the real tree, then over small planted modules, so a check that has
gone blind fails too.
"""

from __future__ import annotations

import textwrap

import pytest

from tests import house


def sources(**modules: str) -> list[house.Source]:
    """``sources(crm__views="...")``: planted modules, ``__`` standing for ``/``."""
    return [
        house.Source.parse(name.replace("__", "/") + ".py", textwrap.dedent(text))
        for name, text in modules.items()
    ]


@pytest.mark.parametrize("name", list(house.checks()))
def test_the_project_keeps_the_house_rule(name):
    """No module of the project breaks the rule (the message names each offence by file:line)."""
    offences = house.checks()[name]()
    assert not offences, "\n".join(map(str, offences))


# --- schema switching ------------------------------------------------------------------------


def test_switching_schema_outside_the_rooms_is_found():
    """set_tenant, set_schema_to_public, schema_context and SET search_path in a view are each
    reported with their line."""
    planted = sources(
        crm__views="""
        from django.db import connection
        from django_tenants.utils import schema_context

        def page(request, member):
            connection.set_tenant(member)
            connection.set_schema_to_public()
            with schema_context("x"):
                pass
            with connection.cursor() as cursor:
                cursor.execute("set local search_path to x, public")
                cursor.execute(f"SET search_path = {member.schema_name}")
                cursor.execute("SELECT set_config('search_path', %s, false)", [member.schema_name])
        """
    )
    lines = sorted(offence.line for offence in house.schema_switches(planted))
    assert lines == [3, 6, 7, 8, 11, 12, 13]


def test_the_rooms_may_switch_schema_and_prose_may_name_it():
    """tenants/ and sharing/ switch freely; a docstring about search_path is prose."""
    code = """
    '''Sets search_path: SET search_path = x.'''
    from django.db import connection

    def run(member):
        connection.set_tenant(member)
    """
    planted = sources(tenants__provisioning=code, sharing__selectors=code)
    assert house.schema_switches(planted) == []
    elsewhere = sources(crm__management__commands__imports_clean=code)
    assert [o.line for o in house.schema_switches(elsewhere)] == [6]


def test_a_room_ruff_allows_but_the_house_does_not_is_found(tmp_path):
    """The TID251 ignores and SCHEMA_ROOMS are one list: an extra room on either side fails."""
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[tool.ruff.lint.per-file-ignores]\n"tests/**" = ["TID251"]\n"crm/**" = ["TID251"]\n'
    )
    messages = [offence.message for offence in house.schema_rooms_agree_with_ruff(pyproject)]
    assert "ruff lets 'crm/' switch schema; SCHEMA_ROOMS does not" in messages
    assert "SCHEMA_ROOMS lets 'tenants/' switch schema; ruff does not" in messages


# --- services --------------------------------------------------------------------------------


def test_a_service_without_keyword_only_acting_user_is_found():
    """Public functions of services modules and packages need ``*, acting_user``; a positional
    acting_user, a missing one, each is reported; private helpers and selectors are not."""
    planted = sources(
        crm__services__contacts="""
        def contact_update(*, contact, acting_user):
            pass

        def contact_delete(contact, acting_user):
            pass

        def _helper():
            pass
        """,
        sharing__rule_services="def rule_set(*, rule):\n    pass\n",
        crm__selectors="def contacts_visible(*, user):\n    pass\n",
    )
    found = {(o.path, o.line) for o in house.services_without_acting_user(planted)}
    assert found == {("crm/services/contacts.py", 5), ("sharing/rule_services.py", 1)}


# --- writes in views -------------------------------------------------------------------------


def test_a_view_that_writes_a_model_is_found():
    """save, delete, create, a queryset update, bulk_create and a relation's add in a view are
    reported; dict and set methods, the cache and the session are not."""
    planted = sources(
        crm__views="""
        def page(request, form, contact, seen, context, cache):
            form.save()
            contact.delete()
            Contact.objects.create(name="x")
            Contact.objects.filter(pk=1).update(name="y")
            Tag.objects.bulk_create([])
            contact.tags.add(1)
            context.update({})
            seen.add(1)
            cache.delete("k")
            request.session.clear()
            default_storage.delete("upload.csv")
        """
    )
    assert [o.line for o in house.view_writes(planted)] == [3, 4, 5, 6, 7, 8]


def test_view_modules_are_found_by_what_the_urlconf_imports():
    """A view module with any name is checked once a URLconf imports it; a services module
    is not a view module."""
    planted = sources(
        sharing__urls="from . import register_pages\n",
        consortium__urls_public="from reporting import admin_pages as views\n",
        sharing__register_pages="def page(request, form):\n    form.save()\n",
        reporting__admin_pages="def page(request, form):\n    form.save()\n",
        sharing__services="def agreement_save(*, agreement, acting_user):\n    agreement.save()\n",
    )
    found = {o.path for o in house.view_writes(planted)}
    assert found == {"sharing/register_pages.py", "reporting/admin_pages.py"}


# --- DRF defaults ----------------------------------------------------------------------------


def test_a_viewset_on_drf_default_writes_is_found():
    """A ModelViewSet without perform_create/update/destroy is reported once per action."""
    planted = sources(
        crm__api="""
        from rest_framework import viewsets

        class ThingViewSet(viewsets.ModelViewSet):
            def perform_create(self, serializer):
                pass
        """
    )
    messages = [o.message for o in house.viewsets_without_perform(planted)]
    assert len(messages) == 2
    assert "perform_destroy" in messages[0]
    assert "perform_update" in messages[1]


def test_a_viewset_that_routes_every_write_is_kept():
    """perform_* from a project mixin, an action overridden without DRF's, and actions the
    viewset refuses by ``http_method_names`` all count."""
    planted = sources(
        crm__mixins="""
        class Routed:
            def perform_update(self, serializer):
                pass
        """,
        crm__api="""
        from rest_framework import mixins, viewsets

        from .mixins import Routed

        class ThingViewSet(Routed, viewsets.ModelViewSet):
            http_method_names = ["get", "patch", "post"]

            def create(self, request):
                return None

        class TagViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
            def create(self, request):
                return super().create(request)
        """,
    )
    offences = house.viewsets_without_perform(planted)
    assert [(o.line, "TagViewSet" in o.message) for o in offences] == [(12, True)]


# --- permissions -----------------------------------------------------------------------------


def test_a_private_permission_helper_is_found():
    """``_is_manager`` in a view and ``_require_admin`` in a service are reported; the same in
    permissions.py, and a private validation helper in a service, are not."""
    planted = sources(
        crm__views="def _is_manager(request):\n    pass\ndef _admin_only(request):\n    pass\n"
        "def _querystring(request):\n    pass\n",
        sharing__services="def _require_admin(user):\n    pass\ndef _check_times(a):\n    pass\n",
        crm__permissions="def _is_manager(user):\n    pass\n",
    )
    found = [(o.path, o.line) for o in house.permission_helpers(planted)]
    assert found == [("crm/views.py", 1), ("crm/views.py", 3), ("sharing/services.py", 1)]


def test_a_role_compared_with_a_literal_is_found():
    """``role == "manager"``, ``getattr(m, "role", "") == "manager"`` and ``role in (...)`` are
    reported; a comparison with ``Role.MANAGER`` is not."""
    planted = sources(
        crm__views="""
        a = membership.role == "manager"
        b = getattr(request.membership, "role", "") == "manager"
        c = "staff" != party.role
        d = role in ("manager", "staff")
        e = membership.role == Role.MANAGER
        f = row["role"] == "manager"
        """
    )
    assert [o.line for o in house.role_literals(planted)] == [2, 3, 4, 5, 7]


# --- the import graph ------------------------------------------------------------------------


def test_a_package_outside_the_contracts_is_found(tmp_path):
    """A new top-level package that is neither a root of import-linter nor in a layer fails."""
    (tmp_path / "newapp").mkdir()
    (tmp_path / "newapp" / "__init__.py").write_text("")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    messages = [o.message for o in house.contracts_cover_every_app(tmp_path)]
    assert messages == [
        "newapp is not in [tool.importlinter] root_packages",
        "newapp has no layer",
    ]


def test_a_circular_import_is_found_even_inside_a_function_or_a_package(tmp_path, monkeypatch):
    """Two modules importing each other (one inside a function), and a package whose
    ``__init__`` and one of its modules import each other, are each one cycle."""
    package = tmp_path / "loopy"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from loopy import b\n")
    (package / "b.py").write_text("def f():\n    from loopy import a\n")
    (package / "c.py").write_text("from loopy import a\n")
    (package / "inner" / "__init__.py").write_text("from loopy.inner.part import x\n")
    (package / "inner" / "part.py").write_text("from loopy.inner import y\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    cycles = [o.message for o in house.module_cycles(["loopy"])]
    assert cycles == [
        "circular import: loopy.a -> loopy.b (l.1); loopy.b -> loopy.a (l.2)",
        "circular import: loopy.inner -> loopy.inner.part (l.1); "
        "loopy.inner.part -> loopy.inner (l.1)",
    ]
