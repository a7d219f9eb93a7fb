"""Quantities written in text, compared as values with their unit: what counts as "the same number".

Verification (serve/verify.py) checks an answer's quantities against its sources with these, and the
evaluation's fact accuracy (evaluation/metrics.py) accepts "20 triệu đồng" for "20.000.000 đồng".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ragtune.citations import CITATION
from ragtune.prompt import nfc

MULTIPLIERS = {"nghìn": 1e3, "ngàn": 1e3, "triệu": 1e6, "tỷ": 1e9, "tỉ": 1e9,
               "thousand": 1e3, "million": 1e6, "billion": 1e9}  # fmt: skip
UNITS = ("%", "đồng", "đ", "vnd", "usd", "ngày", "giờ", "tiếng", "phút", "tuần", "tháng", "năm", "lần", "km",
         "người", "tuổi", "days", "day", "hours", "hour", "minutes", "weeks", "months", "years", "times", "percent")  # fmt: skip
_UNIT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_MULT = "|".join(MULTIPLIERS)
QUANTITY = re.compile(
    r"(?P<date>\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b)"
    r"|(?P<time>\b\d{1,2}(?::|h| giờ )\d{2}\b)"
    rf"|(?P<num>\d+(?:[.,]\d+)*)(?:\s*(?P<mult>{_MULT})\b)?(?:\s*(?P<unit>{_UNIT})(?!\w))?",
    re.IGNORECASE,
)

@dataclass(frozen=True)
class Quantity:
    value: str  # canonical: "20000000", "1.5", "8:30", "1/1/2026"
    unit: str = ""  # canonical unit word, "" when none was written

    def matches(self, other: Quantity) -> bool:
        return self.value == other.value and (not self.unit or not other.unit or self.unit == other.unit)


def _number(text: str) -> float:
    """'20.000.000' and '20,000,000' are thousands; '1,5' and '1.5' decimals (Vietnamese and English)."""
    groups = re.split(r"[.,]", text)
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]):
        return float("".join(groups))
    if len(groups) == 2:
        return float(f"{groups[0]}.{groups[1]}")
    return float("".join(groups))


def _canonical(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


_UNIT_NAMES = {"đ": "đồng", "vnd": "đồng", "tiếng": "giờ", "percent": "%", "day": "ngày", "days": "ngày",
               "hour": "giờ", "hours": "giờ", "minutes": "phút", "weeks": "tuần", "months": "tháng",
               "years": "năm", "times": "lần"}  # fmt: skip


def quantities(text: str) -> list[Quantity]:
    """The quantities written in `text` (citation markers excluded)."""
    found = []
    for m in QUANTITY.finditer(CITATION.sub(" ", nfc(text))):
        if m["date"]:
            found.append(Quantity("/".join(str(int(p)) for p in m["date"].split("/")), "date"))
        elif m["time"]:
            hours, minutes = re.split(r":|h| giờ ", m["time"])
            found.append(Quantity(f"{int(hours)}:{minutes}", "time"))
        else:
            value = _number(m["num"]) * MULTIPLIERS.get((m["mult"] or "").lower(), 1)
            unit = (m["unit"] or "").lower()
            found.append(Quantity(_canonical(value), _UNIT_NAMES.get(unit, unit)))
    return found
