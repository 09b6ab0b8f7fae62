"""SystemUI's notification shade: quick settings tiles, brightness, and unread-message notifications.

Pulled down by a swipe from the status bar (uiautomator2's `open_notification` does exactly that);
Back, Home or a swipe up closes it.
"""

from __future__ import annotations

from mobile_agent.sim.apps.base import AppHost, Screen, new_screen
from mobile_agent.sim.ui import ImageView, LinearLayout, RecyclerView, SeekBar, Spacer, TextView, View

PACKAGE = "com.android.systemui"


def _rid(name: str) -> str:
    return f"{PACKAGE}:id/{name}"


def build_shade(phone: AppHost, s: Screen) -> View:
    g = phone.settings["global"]

    def tile(label: str, icon: str, on: bool, toggle: object) -> View:
        return LinearLayout(
            ImageView(icon, color="on_primary" if on else "text", width=80, height=80),
            LinearLayout(
                TextView(label, size=38, bold=True, color="on_primary" if on else "text", max_lines=1),
                TextView("On" if on else "Off", size=32, color="on_primary" if on else "text2"),
                weight=1,
            ),
            horizontal=True,
            weight=1,
            height=170,
            bg="primary" if on else "card",
            radius=60,
            padding=(40, 20, 24, 20),
            spacing=24,
            on_click=toggle,  # type: ignore[arg-type]
            cls="android.widget.Switch",
            desc=label,
            checkable=True,
            checked=on,
            rid=_rid("qs_tile"),
        )

    def toggle(key: str) -> object:
        return lambda: phone.set_toggle(key, g.get(key) != "1")

    def dark() -> None:
        phone.settings["secure"]["ui_night_mode"] = "1" if phone.dark else "2"

    try:
        level = int(phone.settings["system"].get("screen_brightness", "128"))
    except ValueError:
        level = 128

    def set_level(v: int) -> None:
        phone.settings["system"]["screen_brightness"] = str(v)

    notes: list[View | None] = []
    for m in sorted(phone.tables["sms"], key=lambda m: (m["date"], m["_id"]), reverse=True):
        if m["type"] != 1 or m["read"]:
            continue
        c = phone.contact_for(m["address"])
        name = c["display_name"] if c else m["address"]
        addr = m["address"]
        notes.append(
            LinearLayout(
                LinearLayout(
                    ImageView("message", circle=(26, 115, 232), color=(255, 255, 255), width=90, height=90),
                    TextView("Messages", size=32, color="text2", weight=1),
                    horizontal=True,
                    height=100,
                    spacing=24,
                ),
                TextView(name, size=42, bold=True, rid="android:id/title"),
                TextView(m["body"], size=38, color="text2", max_lines=2, rid="android:id/text"),
                bg="card",
                radius=40,
                padding=(40, 24, 40, 32),
                margin=(32, 12, 32, 12),
                on_click=lambda addr=addr: _open_thread(phone, addr),
                rid=_rid("expandableNotificationRow"),
                cls="android.widget.FrameLayout",
            )
        )
    if not notes:
        notes.append(TextView("No notifications", size=38, color="text2", align_text="center", padding=48))

    now = phone.now()
    return LinearLayout(
        LinearLayout(
            TextView(now.strftime("%H:%M"), size=90, rid=_rid("clock")),
            TextView(
                now.strftime("%a, %b %-d"), size=40, color="text2", rid=_rid("date"), padding=(24, 30, 0, 0)
            ),
            horizontal=True,
            height=150,
            padding=(48, 0, 48, 0),
        ),
        LinearLayout(
            tile("Internet", "wifi", g.get("wifi_on") == "1", toggle("wifi_on")),
            tile("Bluetooth", "bluetooth", g.get("bluetooth_on") == "1", toggle("bluetooth_on")),
            horizontal=True,
            spacing=24,
            padding=(32, 8, 32, 8),
        ),
        LinearLayout(
            tile("Airplane mode", "airplane", g.get("airplane_mode_on") == "1", toggle("airplane_mode_on")),
            tile("Dark theme", "moon", phone.dark, dark),
            horizontal=True,
            spacing=24,
            padding=(32, 8, 32, 8),
        ),
        SeekBar(
            level,
            255,
            set_level,
            rid=_rid("slider"),
            desc="Display brightness",
            margin=(32, 16, 32, 16),
            height=110,
        ),
        TextView("Notifications", size=36, bold=True, color="text2", padding=(48, 24, 48, 8)),
        RecyclerView(
            *notes, store=s["scroll"], key="notifications", rid=_rid("notification_stack_scroller"), weight=1
        ),
        Spacer(height=24),
        bg="surface",
        rid=_rid("notification_panel"),
    )


def _open_thread(phone: AppHost, address: str) -> None:
    phone.shade = None
    for m in phone.tables["sms"]:
        if m["type"] == 1 and phone.thread_id(m["address"]) == phone.thread_id(address):
            m["read"] = 1
    phone.open_app("com.android.messaging", new_screen("thread", address=address))
