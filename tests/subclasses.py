"""Classes the project defines, found by walking subclasses: sweeps over every form or every
set of choices reach one written tomorrow without a list."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent


def project_apps() -> set[str]:
    """The installed apps whose code is in this repository (by their package name)."""
    return {
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(ROOT)
    }


def project_subclasses(base: type) -> list[type]:
    """Every subclass of ``base``, at any depth, defined in a project app; in a stable order.
    A subclass is known only once its module is imported."""
    ours = project_apps()
    seen: set[type] = set()
    todo = [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    found = [c for c in seen if c.__module__.split(".")[0] in ours]
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")
