"""Thai phone numbers as people write them -> one normal form (+66...)."""

from __future__ import annotations

import re

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_SEPARATORS = re.compile(r"[\s\-.()/\u200b]")
_MOBILE = re.compile(r"0[689]\d{8}")  # 08x-xxx-xxxx, 06x, 09x
_LANDLINE = re.compile(r"0[2-7]\d{7}")  # 02-xxx-xxxx, 043-xxx-xxx


def normalize_phone(text: str) -> str | None:
    """'081-234-5678', '0812345678', '+66 81 234 5678', Thai digits -> '+66812345678'.

    None for anything that is not a Thai mobile or landline number.
    """
    raw = _SEPARATORS.sub("", text.translate(_THAI_DIGITS))
    if raw.startswith("+66"):
        raw = "0" + raw[3:]
    elif raw.startswith("66") and len(raw) in (10, 11):
        raw = "0" + raw[2:]
    if raw.startswith("00"):  # +66 typed with a leading zero kept: +66 081...
        raw = raw[1:]
    if _MOBILE.fullmatch(raw) or _LANDLINE.fullmatch(raw):
        return "+66" + raw[1:]
    return None


def display_phone(phone: str) -> str:
    """'+66812345678' -> '081-234-5678' (how Thai people write it)."""
    local = "0" + phone[3:] if phone.startswith("+66") else phone
    if len(local) == 10:
        return f"{local[:3]}-{local[3:6]}-{local[6:]}"
    if len(local) == 9 and local.startswith("02"):
        return f"{local[:2]}-{local[2:5]}-{local[5:]}"
    if len(local) == 9:
        return f"{local[:3]}-{local[3:6]}-{local[6:]}"
    return local
