"""The virtual phone's screen geometry in device pixels (a data table): the display, the system
bars and the soft keyboards. What is drawn and what the XML reports both come from here."""

__all__ = ["ADB_KB_H", "KB_H", "KB_PAD", "KEY_ROW_H", "NAV_H", "STATUS_H", "H", "W"]

W, H = 1080, 2400
STATUS_H = 84
NAV_H = 132
KEY_ROW_H = 132
KB_PAD = 16
KB_H = 5 * KEY_ROW_H + 2 * KB_PAD
ADB_KB_H = 110
