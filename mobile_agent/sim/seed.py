"""The phone's initial data, generated from one seed (same seed, same phone).

The phone draws its clock, battery and brightness here; each app then seeds the rows of its own
content providers (`App.seed_rows`) from the same random stream, in a fixed order (`seed_order`),
so the draws, and the data, never change. Everything is plain dicts and lists so the phone can
deepcopy it for snapshots.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["SeedContext", "Seeder", "generate", "start_time"]


@dataclass
class SeedContext:
    """What an app's seeding sees: the random stream, the clock, the tables seeded before it, and
    facts shared between apps (the contacts' names, SMS threads, the verification code)."""

    rng: random.Random
    now: int  # the virtual clock's starting epoch second
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    shared: dict[str, Any] = field(default_factory=dict)


class Seeder(Protocol):
    """An app, as far as seeding goes."""

    seed_order: int

    def seed_tables(self, seed: SeedContext) -> dict[str, list[dict[str, Any]]]: ...


def start_time(rng: random.Random) -> int:
    """The virtual clock's starting epoch second (UTC)."""
    day = dt.datetime(2024, 6, rng.randint(3, 24), rng.randint(8, 17), rng.randint(0, 59), 0, tzinfo=dt.UTC)
    return int(day.timestamp())


def generate(seed: int, apps: Sequence[Seeder]) -> dict[str, Any]:
    """All seeded state: clock, battery, brightness, and every app's tables (in the apps' order)."""
    rng = random.Random(seed)
    now = start_time(rng)
    battery = rng.randint(42, 96)
    brightness = rng.choice([102, 128, 153, 178, 204])
    ctx = SeedContext(rng, now)
    seeded: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for app in sorted(apps, key=lambda a: a.seed_order):
        seeded[id(app)] = app.seed_tables(ctx)
        ctx.tables.update(seeded[id(app)])
    return {
        "clock": now,
        "battery": battery,
        "brightness": brightness,
        "android_id": f"{rng.getrandbits(64):016x}",
        "verification_code": ctx.shared.get("verification_code", ""),
        "tables": {table: rows for app in apps for table, rows in seeded[id(app)].items()},
        "threads": ctx.shared.get("threads", {}),
    }
