"""The one way the factories create: by calling the app's service."""

from __future__ import annotations

from typing import Any

import factory


class ServiceFactory(factory.django.DjangoModelFactory):
    """Creates by calling ``service`` (a staticmethod of the subclass) with every declared
    value as a keyword: the service validates, announces and audits."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: type, *args: Any, **fields: Any) -> Any:
        return cls.service(**fields)  # type: ignore[attr-defined]
