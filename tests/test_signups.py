"""Sign-ups in the store: seats, waiting list, promotion, erasure, concurrency; phone numbers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.erasure import forget
from bot.flows import FlowKind, Flows, SignupStep
from bot.people import People
from bot.phone import display_phone, normalize_phone
from bot.questions import Questions
from bot.signups import NoticeKind, Outbox, Result, SignupOutcome, Signups, Status, name_ok
from bot.store import Store


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Signups]:
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        yield Signups(store)
    finally:
        await store.close()


def unlimited(_: str) -> int | None:
    return None


async def join(
    repo: Signups, user: int, entry: str = "ev", capacity: int | None = 2, people: int = 1
) -> SignupOutcome:
    return await repo.sign_up(
        user, f"คน {user}", "+66812345678", entry, "งานทดสอบ", capacity, people
    )


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("081-234-5678", "+66812345678"),
        ("0812345678", "+66812345678"),
        ("+66 81 234 5678", "+66812345678"),
        ("66812345678", "+66812345678"),
        ("๐๘๑-๒๓๔-๕๖๗๘", "+66812345678"),
        ("(081) 234 5678", "+66812345678"),
        ("043-123-456", "+6643123456"),  # Khon Kaen landline
        ("02-123-4567", "+6621234567"),
    ],
)
def test_thai_numbers_as_people_write_them(typed: str, stored: str) -> None:
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize(
    "typed", ["12345", "081-234-567", "08123456789", "0112345678", "abc", "", "+1 415 555 0100"]
)
def test_not_a_thai_number(typed: str) -> None:
    assert normalize_phone(typed) is None


def test_display() -> None:
    assert display_phone("+66812345678") == "081-234-5678"
    assert display_phone("+6643123456") == "043-123-456"
    assert display_phone("+6621234567") == "02-123-4567"


async def test_seats_then_waiting_list_then_already(repo: Signups) -> None:
    assert (await join(repo, 1)).result is Result.CONFIRMED
    assert (await join(repo, 2)).result is Result.CONFIRMED
    third = await join(repo, 3)
    assert third.result is Result.WAITLISTED and third.signup.position == 1
    fourth = await join(repo, 4)
    assert fourth.signup.position == 2
    again = await join(repo, 3)
    assert again.result is Result.ALREADY and again.signup.position == 1
    assert len(await repo.for_entry("ev")) == 4  # nothing duplicated


async def test_cancel_promotes_first_in_line_and_is_told_once(repo: Signups) -> None:
    first = (await join(repo, 1)).signup
    await join(repo, 2)
    await join(repo, 3)
    await join(repo, 4)

    def cap(_: str) -> int:
        return 2

    cancelled, promoted = await repo.cancel(first.id, 1, cap)
    assert cancelled is not None and cancelled.status is Status.CANCELLED
    assert [p.user_id for p in promoted] == [3]
    assert [s.position for s in await repo.of_user(4)] == [1]
    outbox = Outbox(repo.store)
    told = [n for n in await outbox.notices() if n.kind is NoticeKind.PROMOTED]
    assert [n.signup.user_id for n in told] == [3]
    await outbox.notice_sent(told[0].id)
    assert [n for n in await outbox.notices() if n.kind is NoticeKind.PROMOTED] == []
    # Already cancelled (a second tap): still cancelled, and nobody is promoted again.
    again, more = await repo.cancel(first.id, 1, cap)
    assert again is not None and again.status is Status.CANCELLED and more == []
    # Not theirs: nothing happens.
    other = (await repo.of_user(2))[0]
    assert await repo.cancel(other.id, 99, cap) == (None, [])
    assert (await repo.of_user(2))[0].status is Status.CONFIRMED


async def test_commitments_are_queued_with_the_change(repo: Signups) -> None:
    """Every reply that carries a commitment is in the outbox from the same transaction as
    the change; a cancellation drops what no longer holds; erasure takes the notices too."""
    a = (await join(repo, 1, capacity=1)).signup
    await join(repo, 2, capacity=1)
    outbox = Outbox(repo.store)
    queued = await outbox.notices()
    assert [(n.kind, n.signup.user_id) for n in queued] == [
        (NoticeKind.CONFIRMED, 1),
        (NoticeKind.WAITLISTED, 2),
    ]
    assert queued[1].signup.position == 1
    await repo.cancel(a.id, 1, lambda _: 1, message_id=77)
    # Resident 1's unsent "confirmed" is gone, "cancelled" replaces the tapped message; the
    # waiting resident is now promoted (the "waitlisted" notice is still there but renders as
    # nothing: it no longer holds).
    kinds = [(n.kind, n.signup.user_id, n.message_id) for n in await outbox.notices()]
    assert (NoticeKind.CANCELLED, 1, 77) in kinds and (NoticeKind.PROMOTED, 2, None) in kinds
    assert (NoticeKind.CONFIRMED, 1, None) not in kinds
    first_id = (await outbox.notices())[0].id
    assert await outbox.claim(first_id)
    assert not await outbox.claim(first_id)  # one sender at a time
    outbox.release(first_id)
    await outbox.notice_sent(first_id)
    assert not await outbox.claim(first_id)  # sent: nothing left to claim
    await forget(repo.store, 2, unlimited)
    assert {n.signup.user_id for n in await outbox.notices()} == {1}
    for n in await outbox.notices():
        await outbox.notice_failed(n.id)
    assert all(n.attempts == 1 for n in await outbox.notices())


@pytest.mark.parametrize(
    "name", ["สมศรี ใจดี", "บุญมี มีสุข", "John Smith", "นาย ก.", "ab", "สม\u200bศรี"]
)
def test_names_accepted(name: str) -> None:
    assert name_ok(name)


@pytest.mark.parametrize(
    "name",
    ["ก", "\u200b", "\u200b\u200b\u200b", "😀😀😀", "t.me/scam_bot", "https://x.co", "@scam_helper",
     "free-money.com", "x" * 101, "12345", "  "],
)  # fmt: skip
def test_names_refused(name: str) -> None:
    assert not name_ok(name)


async def test_waiting_list_is_strictly_first_come_first_served(repo: Signups) -> None:
    a = (await join(repo, 1, capacity=3, people=3)).signup
    await join(repo, 2, capacity=3, people=2)  # waits first
    await join(repo, 3, capacity=3, people=1)  # waits second; must not jump ahead
    _, promoted = await repo.cancel(a.id, 1, lambda _: 3)
    assert [p.user_id for p in promoted] == [2, 3]


async def test_removed_entry_promotes_nobody_but_keeps_its_signups(repo: Signups) -> None:
    a = (await join(repo, 1, capacity=1)).signup
    await join(repo, 2, capacity=1)
    _, promoted = await repo.cancel(a.id, 1, lambda _: 0)
    assert promoted == []
    assert len(await repo.for_entry("ev")) == 2


async def test_forget_deletes_everything_and_frees_the_seat(repo: Signups) -> None:
    await join(repo, 1, capacity=1)
    await join(repo, 2, capacity=1)
    await join(repo, 1, entry="other", capacity=None)
    await Questions(repo.store).log(1, "ถาม", "fallback", None, 0.1)
    await Flows(repo.store).save(1, FlowKind.SIGNUP, SignupStep.NAME, {"entry": "x"})
    gone = await forget(repo.store, 1, lambda _: 1)
    assert (gone.had_details, gone.signups, gone.questions) == (True, 2, 1)
    assert [p.user_id for p in gone.promoted] == [2]
    assert await People(repo.store).get(1) is None
    assert await repo.of_user(1) == []
    assert await Questions(repo.store).recent() == []
    assert await repo.store.query("SELECT * FROM flows") == []
    nothing = await forget(repo.store, 1, unlimited)
    assert (nothing.had_details, nothing.signups, nothing.questions) == (False, 0, 0)


async def test_flows_expire(repo: Signups) -> None:
    from datetime import timedelta

    flows = Flows(repo.store)
    await flows.save(5, FlowKind.SIGNUP, SignupStep.PHONE, {"entry": "ev", "name": "ก <b>&"})
    flow = await flows.current(5)
    assert flow is not None and flow.data["name"] == "ก <b>&"
    assert flow.kind is FlowKind.SIGNUP and flow.step is SignupStep.PHONE
    assert await flows.current(5, FlowKind.BROADCAST) is None  # another kind: not this one's
    assert await flows.current(5, FlowKind.SIGNUP) is not None  # and left as it was
    expired = Flows(repo.store, ttl=timedelta(seconds=-1))
    assert await expired.current(5) is None  # idle longer than the ttl
    assert await flows.current(5) is None  # and it is gone


async def test_signing_up_ends_the_flow(repo: Signups) -> None:
    flows = Flows(repo.store)
    await flows.save(1, FlowKind.SIGNUP, SignupStep.PHONE, {"entry": "ev"})
    await join(repo, 1)
    assert await flows.current(1) is None


async def test_150_at_once_for_80_seats(repo: Signups) -> None:
    """The store alone: every seat decision is one transaction."""
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(join(repo, u, capacity=80) for u in range(1, 151)))
    elapsed = time.perf_counter() - started
    confirmed = [o for o in outcomes if o.result is Result.CONFIRMED]
    waiting = sorted(
        (o for o in outcomes if o.result is Result.WAITLISTED), key=lambda o: o.signup.id
    )
    assert len(confirmed) == 80 and len(waiting) == 70
    assert [o.signup.position for o in waiting] == list(range(1, 71))
    rows = await repo.for_entry("ev")
    assert len({r.user_id for r in rows}) == len(rows) == 150
    print(f"store alone: {150 / elapsed:.0f} sign-ups/s")
