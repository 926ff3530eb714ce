"""Residents' contact details, given with consent when they first sign up (owns `people`).

Personal data lives here only (PDPA): the name and phone are never copied elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.store import Store


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    name: str
    phone: str


class People:
    # /forgetme (bot.erasure): their details.
    ERASE = ("people", "user_id = :user")

    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, user_id: int) -> Person | None:
        rows = await self.store.query(
            "SELECT user_id, name, phone FROM people WHERE user_id = ?", (user_id,)
        )
        return Person(rows[0]["user_id"], rows[0]["name"], rows[0]["phone"]) if rows else None

    @staticmethod
    async def save(db: aiosqlite.Connection, user_id: int, name: str, phone: str, now: str) -> None:
        """Inside the caller's transaction (the sign-up they consented for): keep the first
        consent time, replace the details."""
        await db.execute(
            "INSERT INTO people (user_id, name, phone, consent_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE"
            " SET name = excluded.name, phone = excluded.phone,"
            " updated_at = excluded.updated_at",
            (user_id, name, phone, now, now),
        )
