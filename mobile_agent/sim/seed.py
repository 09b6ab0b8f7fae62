"""The phone's initial data, generated from one seed (same seed, same phone).

Everything is plain dicts and lists so the phone can deepcopy it for snapshots.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

FIRST = [
    "Alice",
    "Bob",
    "Carol",
    "David",
    "Emma",
    "Frank",
    "Grace",
    "Henry",
    "Isabel",
    "Jack",
    "Karen",
    "Liam",
    "Maria",
    "Noah",
    "Olivia",
    "Paul",
    "Rachel",
    "Samuel",
    "Sofia",
    "Thomas",
    "Uma",
    "Victor",
]
LAST = [
    "Anderson",
    "Brown",
    "Chen",
    "Diaz",
    "Evans",
    "Garcia",
    "Harris",
    "Johnson",
    "Kim",
    "Lopez",
    "Miller",
    "Nguyen",
    "Patel",
    "Robinson",
    "Smith",
    "Taylor",
    "Walker",
    "Wilson",
    "Young",
]
CHINESE = [
    ("王芳", "wangfang"),
    ("李娜", "lina"),
    ("张伟", "zhangwei"),
    ("刘洋", "liuyang"),
    ("陈静", "chenjing"),
]

CHATS = [
    [
        ("in", "Hey! Are we still on for lunch tomorrow?"),
        ("out", "Yes, 12:30 at the usual place"),
        ("in", "Perfect, see you there"),
    ],
    [("out", "Did you get the documents I sent?"), ("in", "Got them, thanks. I'll review tonight.")],
    [
        ("in", "Can you pick up some milk on the way home?"),
        ("out", "Sure, anything else?"),
        ("in", "Eggs and bread please"),
    ],
    [("in", "Happy birthday!! 🎉"), ("out", "Thank you so much!")],
    [("in", "The meeting moved to 3pm"), ("out", "Thanks for letting me know")],
    [("in", "周末一起去爬山吗？"), ("out", "好啊，几点出发？"), ("in", "早上八点")],
    [("out", "Running 10 minutes late, sorry"), ("in", "No problem")],
]

NOTES = [
    ("Shopping list", "Milk\nEggs\nBread\nCoffee beans"),
    ("Meeting notes", "Discuss Q3 roadmap\nBudget review on Friday"),
    ("Gift ideas", "Book for Dad\nScarf for Mom"),
    ("Travel checklist", "Passport\nCharger\nSunscreen"),
    ("Recipe", "Pasta: boil 10 min, add sauce and basil"),
]

ALARMS = [(6, 30, "Wake up"), (7, 15, "Gym"), (8, 0, ""), (22, 0, "Take medicine"), (13, 45, "Call mom")]

EVENTS = [
    "Dentist appointment",
    "Team meeting",
    "Lunch with {name}",
    "Yoga class",
    "Project deadline",
    "Dinner with {name}",
    "Car service",
    "Book club",
]

PHOTOS = [
    ("beach", "sea", (120, 190, 235), (250, 225, 120), (40, 110, 170)),
    ("mountain", "mountain", (150, 200, 240), (255, 230, 110), (70, 120, 80)),
    ("sunset", "sun", (250, 150, 90), (255, 220, 120), (110, 60, 90)),
    ("flowers", "flower", (200, 230, 190), (235, 100, 140), (250, 210, 60)),
    ("city", "city", (40, 50, 90), (250, 240, 180), (90, 100, 130)),
    ("pattern", "stripes", (240, 240, 240), (60, 140, 200), (230, 90, 70)),
    ("lake", "sea", (170, 210, 230), (255, 255, 255), (60, 140, 150)),
    ("forest", "mountain", (190, 225, 200), (240, 240, 200), (40, 100, 60)),
]


def start_time(rng: random.Random) -> int:
    """The virtual clock's starting epoch second (UTC)."""
    day = dt.datetime(2024, 6, rng.randint(3, 24), rng.randint(8, 17), rng.randint(0, 59), 0, tzinfo=dt.UTC)
    return int(day.timestamp())


def generate(seed: int) -> dict[str, Any]:
    """All seeded state: clock, battery, tables (contacts, sms, alarms, notes, events, images)."""
    rng = random.Random(seed)
    now = start_time(rng)
    battery = rng.randint(42, 96)
    brightness = rng.choice([102, 128, 153, 178, 204])

    names: list[str] = []
    firsts = rng.sample(FIRST, 12)
    for f in firsts:
        names.append(f"{f} {rng.choice(LAST)}")
    zh, zh_mail = rng.choice(CHINESE)
    contacts: list[dict[str, Any]] = []
    used_numbers: set[str] = set()

    def number(prefix: str, digits: int) -> str:
        while True:
            n = prefix + "".join(str(rng.randint(0, 9)) for _ in range(digits))
            if n not in used_numbers:
                used_numbers.add(n)
                return n

    for name in names:
        first, last = name.split(" ", 1)
        contacts.append(
            {
                "display_name": name,
                "number": number(f"+1{rng.choice(['415', '650', '212', '312', '206'])}5550", 3),
                "email": f"{first.lower()}.{last.lower()}@example.com" if rng.random() < 0.8 else "",
            }
        )
    contacts.append({"display_name": zh, "number": number("+86138", 8), "email": f"{zh_mail}@example.cn"})
    contacts.sort(key=lambda c: c["display_name"].casefold())
    for i, c in enumerate(contacts, 1):
        c["_id"] = i

    sms: list[dict[str, Any]] = []
    threads: dict[str, int] = {}
    chat_contacts = [*rng.sample(contacts[:-1], 5), contacts[-1]]
    t = now - 86400 * 3
    chats = list(CHATS)
    rng.shuffle(chats)
    chat_zh = next(c for c in CHATS if any("周末" in b for _, b in c))
    chats = [*[c for c in chats if c is not chat_zh][:5], chat_zh]
    for contact, chat in zip(chat_contacts, chats, strict=True):
        t += rng.randint(3600, 20000)
        addr = contact["number"]
        threads.setdefault(addr, len(threads) + 1)
        for direction, body in chat:
            t += rng.randint(30, 900)
            sms.append(
                {
                    "thread_id": threads[addr],
                    "address": addr,
                    "date": t * 1000,
                    "read": 1,
                    "type": 1 if direction == "in" else 2,
                    "body": body,
                }
            )
    code = f"{rng.randint(100000, 999999)}"
    code_addr = "72837"
    threads[code_addr] = len(threads) + 1
    sms.append(
        {
            "thread_id": threads[code_addr],
            "address": code_addr,
            "date": (now - 120) * 1000,
            "read": 0,
            "type": 1,
            "body": f"Your code is {code}. It expires in 10 minutes. Do not share it.",
        }
    )
    sms.sort(key=lambda m: m["date"])
    for i, m in enumerate(sms, 1):
        m["_id"] = i

    notes = []
    for i, (title, body) in enumerate(rng.sample(NOTES, 3), 1):
        notes.append({"_id": i, "title": title, "body": body, "modified": (now - 86400 * (5 - i)) * 1000})

    alarms = []
    for i, (h, minute, label) in enumerate(sorted(rng.sample(ALARMS, 3)), 1):
        alarms.append(
            {
                "_id": i,
                "hour": h,
                "minutes": minute,
                "enabled": 1 if rng.random() < 0.6 else 0,
                "label": label,
            }
        )

    events = []
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    for i, title in enumerate(rng.sample(EVENTS, 4), 1):
        day = today + dt.timedelta(days=rng.randint(0, 12))
        hh, mm = rng.randint(8, 19), rng.choice([0, 15, 30, 45])
        title = title.format(name=rng.choice(names).split(" ")[0])
        events.append(event_row(i, title, day.isoformat(), f"{hh:02d}:{mm:02d}"))

    images = []
    for i, (subject, kind, bg, fg, fg2) in enumerate(PHOTOS, 1):
        jitter = [max(0, min(255, c + rng.randint(-20, 20))) for c in bg]
        added = now - 86400 * (len(PHOTOS) - i) - rng.randint(0, 3600)
        stamp = dt.datetime.fromtimestamp(added, dt.UTC).strftime("%m%d")
        name = f"{subject}_{stamp}.jpg"
        images.append(
            {
                "_id": i,
                "_display_name": name,
                "_data": f"/sdcard/DCIM/Camera/{name}",
                "date_added": added,
                "favorite": 0,
                "spec": {"kind": kind, "bg": jitter, "fg": list(fg), "fg2": list(fg2)},
            }
        )

    return {
        "clock": now,
        "battery": battery,
        "brightness": brightness,
        "android_id": f"{rng.getrandbits(64):016x}",
        "verification_code": code,
        "tables": {
            "contacts": contacts,
            "sms": sms,
            "alarms": alarms,
            "notes": notes,
            "events": events,
            "images": images,
        },
        "threads": threads,
    }


def event_row(_id: int, title: str, date: str, time: str) -> dict[str, Any]:
    """A calendar row; dtstart is the UTC epoch ms of date+time, dtend one hour later."""
    d = dt.datetime.strptime(f"{date} {time}", "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
    start = int(d.timestamp()) * 1000
    return {
        "_id": _id,
        "title": title,
        "date": date,
        "time": time,
        "dtstart": start,
        "dtend": start + 3600_000,
    }
