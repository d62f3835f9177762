"""Number cells as exported by finance sites: thousands separators, suffixes, percentages, currency.

One job: one cell of text to one float (or a clear refusal), shared by the single-series and the
panel CSV loaders.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MISSING_TOKENS = frozenset({"", "-", "--", "—", "na", "n/a", "nan", "null", "none", "#n/a"})
SUFFIXES = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000, "T": 10**12, "万": 10**4, "亿": 10**8}
CURRENCY = "$€£¥₹"
_SPACES = (" ", "\u00a0", "\u202f", "\u2009", "'")
KNOWN_FORMATS = (
    "plain numbers, thousands separators (1,234.5), suffixes K/M/B/T or 万/亿 (12.3K), "
    "percentages (0.77%) and currency signs"
)


def parse_number(text: str, decimal: str = ".", thousands: str | None = ",") -> tuple[float, str]:
    """Parse one cell; returns (value, kind) with kind in plain|suffix|percent|missing.

    Raises ``ValueError`` for text that is not a number in a known format. A thousands separator
    must group digits properly, so ``"1,5"`` is rejected rather than silently read as 15.
    """
    s = text.strip()
    if s.lower() in MISSING_TOKENS:
        return float("nan"), "missing"
    for ch in _SPACES:
        s = s.replace(ch, "")
    s = s.replace("\u2212", "-")
    sign = ""
    if s[:1] in "+-":
        sign, s = s[0], s[1:]
    s = s.strip(CURRENCY)
    kind, scale = "plain", 1
    if s.endswith("%"):
        kind, s = "percent", s[:-1]
    elif s and s[-1].upper() in SUFFIXES:
        kind, scale, s = "suffix", SUFFIXES[s[-1].upper()], s[:-1]
    if thousands and thousands in s:
        t, d = re.escape(thousands), re.escape(decimal)
        grouped = rf"\d{{1,3}}(?:{t}\d{{3}})+|\d{{1,3}}(?:{t}\d{{2}})*{t}\d{{3}}"
        if not re.fullmatch(rf"(?:{grouped})(?:{d}\d*)?", s):
            raise ValueError(text)
        s = s.replace(thousands, "")
    if decimal != ".":
        if "." in s:
            raise ValueError(text)
        s = s.replace(decimal, ".")
    if not re.fullmatch(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", s):
        raise ValueError(text)
    try:
        value = Decimal(sign + s) * scale
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    return float(value), kind
