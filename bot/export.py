"""Sign-up lists for staff: CSV that Excel opens with Thai intact, and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import datetime, tzinfo

from bot.checkins import Checkins
from bot.phone import display_phone
from bot.signups import Signups
from bot.store import Store

HEADER = [
    "entry id",
    "entry title",
    "status",
    "queue position",
    "name",
    "phone",
    "people",
    "signed up at",
    "cancelled at",
    "checked in at",  # at the door (bot.checkins), local time
]
Row = list[str | int | None]


async def signup_rows(store: Store, tz: tzinfo, entry_id: str | None = None) -> list[Row]:
    """Every sign-up (cancelled ones too, with the time), entry by entry, in sign-up order,
    with when the resident was checked in at the door."""
    rows = await Signups(store).roster(entry_id)
    checked_in = await Checkins(store).times(entry_id)
    out: list[Row] = []
    queue: dict[str, int] = {}
    for r in rows:
        position = None
        if r["status"] == "waitlist":
            position = queue[r["entry_id"]] = queue.get(r["entry_id"], 0) + 1
        out.append(
            [
                r["entry_id"],
                r["entry_title"],
                r["status"],
                position,
                r["name"],
                display_phone(r["phone"]),
                r["people"],
                _local(r["created_at"], tz),
                _local(r["cancelled_at"], tz),
                _local(checked_in.get(r["id"]), tz),
            ]
        )
    return out


def _local(stamp: str | datetime | None, tz: tzinfo) -> str | None:
    if not stamp:
        return None
    moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _cell(value: str | int | None) -> str | int | None:
    # A name starting with = + - @ would be run as a formula by Excel (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(rows: list[Row]) -> bytes:
    """UTF-8 with a byte-order mark: without it Excel reads Thai as mojibake."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[Row]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "signups"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    for column, name in zip(sheet.columns, HEADER, strict=True):
        widest = max([len(name), *(len(str(c.value)) for c in column if c.value is not None)])
        letter = column[0].column_letter
        sheet.column_dimensions[letter].width = min(60, widest + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
