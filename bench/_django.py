"""Start Django for a benchmark script run from the repository root or bench/."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings.base")
    os.environ.setdefault("DJANGO_DEBUG", "0")  # no query log growing in memory
    import django

    django.setup()
