"""The localities of North Yorkshire and York, as the sector still names them."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "districts.csv"


@dataclass(frozen=True)
class District:
    name: str
    towns: tuple[str, ...]
    outward_codes: tuple[str, ...]


@cache
def districts() -> tuple[District, ...]:
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        return tuple(
            District(
                name=row["locality"],
                towns=tuple(row["main towns"].split(";")),
                outward_codes=tuple(row["postcode outward codes"].split()),
            )
            for row in csv.DictReader(handle)
        )


def district_choices() -> list[tuple[str, str]]:
    return [(d.name, d.name) for d in districts()]
