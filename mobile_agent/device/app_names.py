"""Which installed package an app name means ("Settings", "clock", "微信", a package name), and
which package is in front: pure text matching, no device calls, so it is testable alone."""

from __future__ import annotations

import difflib
import re

__all__ = ["KNOWN_APPS", "match_app", "parse_focus", "parse_launchable"]

# Common app names -> candidate packages on real phones (first installed wins). Other apps are
# found in the device's own launchable list at run time by the words of their package names
# (the virtual phone's Notes by "notes"); only a name with no such words needs an entry here.
KNOWN_APPS: dict[str, list[str]] = {
    "settings": ["com.android.settings"],
    "设置": ["com.android.settings"],
    "messages": [
        "com.google.android.apps.messaging",
        "com.android.messaging",
        "com.samsung.android.messaging",
    ],
    "sms": ["com.google.android.apps.messaging", "com.android.messaging", "com.samsung.android.messaging"],
    "短信": ["com.google.android.apps.messaging", "com.android.messaging", "com.android.mms"],
    "phone": ["com.google.android.dialer", "com.android.dialer", "com.samsung.android.dialer"],
    "dialer": ["com.google.android.dialer", "com.android.dialer", "com.samsung.android.dialer"],
    "contacts": ["com.google.android.contacts", "com.android.contacts", "com.samsung.android.contacts"],
    "联系人": ["com.android.contacts", "com.google.android.contacts"],
    "clock": ["com.google.android.deskclock", "com.android.deskclock", "com.sec.android.app.clockpackage"],
    "alarm": ["com.google.android.deskclock", "com.android.deskclock", "com.sec.android.app.clockpackage"],
    "时钟": ["com.android.deskclock", "com.google.android.deskclock"],
    "camera": [
        "com.google.android.GoogleCamera",
        "com.android.camera2",
        "com.android.camera",
        "com.sec.android.app.camera",
    ],
    "相机": ["com.android.camera", "com.android.camera2"],
    "chrome": ["com.android.chrome"],
    "browser": ["com.android.chrome", "com.android.browser", "org.mozilla.firefox"],
    "calendar": ["com.google.android.calendar", "com.android.calendar", "com.samsung.android.calendar"],
    "日历": ["com.android.calendar", "com.google.android.calendar"],
    "gallery": [
        "com.android.gallery3d",
        "com.google.android.apps.photos",
        "com.sec.android.gallery3d",
        "com.miui.gallery",
    ],
    "photos": ["com.google.android.apps.photos", "com.android.gallery3d"],
    "相册": ["com.android.gallery3d", "com.miui.gallery", "com.google.android.apps.photos"],
    "files": [
        "com.google.android.documentsui",
        "com.android.documentsui",
        "com.google.android.apps.nbu.files",
    ],
    "文件": ["com.android.documentsui", "com.google.android.documentsui"],
    "notes": ["com.google.android.keep", "com.samsung.android.app.notes", "com.miui.notes"],
    "备忘录": ["org.mobileagent.notes", "com.miui.notes"],  # a Chinese name has no package words
    "keep": ["com.google.android.keep"],
    "calculator": [
        "com.google.android.calculator",
        "com.android.calculator2",
        "com.sec.android.app.popupcalculator",
    ],
    "maps": ["com.google.android.apps.maps"],
    "youtube": ["com.google.android.youtube"],
    "gmail": ["com.google.android.gm"],
    "play store": ["com.android.vending"],
    "launcher": ["com.android.launcher3", "com.google.android.apps.nexuslauncher"],
    "wechat": ["com.tencent.mm"],
    "微信": ["com.tencent.mm"],
    "qq": ["com.tencent.mobileqq"],
    "alipay": ["com.eg.android.AlipayGphone"],
    "支付宝": ["com.eg.android.AlipayGphone"],
    "taobao": ["com.taobao.taobao"],
    "淘宝": ["com.taobao.taobao"],
    "douyin": ["com.ss.android.ugc.aweme"],
    "抖音": ["com.ss.android.ugc.aweme"],
    "tiktok": ["com.zhiliaoapp.musically", "com.ss.android.ugc.trill"],
    "xiaohongshu": ["com.xingin.xhs"],
    "小红书": ["com.xingin.xhs"],
    "meituan": ["com.sankuai.meituan"],
    "美团": ["com.sankuai.meituan"],
    "amap": ["com.autonavi.minimap"],
    "高德地图": ["com.autonavi.minimap"],
    "jd": ["com.jingdong.app.mall"],
    "京东": ["com.jingdong.app.mall"],
    "bilibili": ["tv.danmaku.bili"],
    "哔哩哔哩": ["tv.danmaku.bili"],
}

_GENERIC_SEGMENTS = {"com", "org", "net", "android", "google", "apps", "app", "ui", "activities", "main"}


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name.strip().lower())


def _package_words(package: str) -> list[str]:
    """The distinctive words of a package name: com.android.deskclock -> ["deskclock"]."""
    words = [w for w in package.lower().split(".") if w not in _GENERIC_SEGMENTS]
    return words or [package.lower().rsplit(".", 1)[-1]]


def match_app(name: str, launchable: dict[str, str]) -> tuple[str | None, list[str]]:
    """Pick the installed package an app name means, and the close matches (for the error).

    Order: an exact package name; the known-name table; the distinctive words of package
    names (exact, then substring, then difflib similarity >= 0.6).
    """
    query = name.strip()
    if query in launchable:
        return query, []
    key = query.lower()
    for candidate in KNOWN_APPS.get(key, []) + KNOWN_APPS.get(_norm(query), []):
        if candidate in launchable:
            return candidate, []
    nq = _norm(query)
    words: dict[str, str] = {}
    for pkg in launchable:
        for w in _package_words(pkg):
            words.setdefault(w, pkg)
        words.setdefault(_norm(pkg), pkg)
    if nq in words:
        return words[nq], []
    contains = sorted(
        {pkg for w, pkg in words.items() if len(nq) >= 3 and (nq in w or (w in nq and len(w) >= 4))}
    )
    if len(contains) == 1:
        return contains[0], []
    for known, pkgs in KNOWN_APPS.items():
        if difflib.SequenceMatcher(None, nq, _norm(known)).ratio() >= 0.8:
            for candidate in pkgs:
                if candidate in launchable:
                    return candidate, []
    close = difflib.get_close_matches(nq, list(words), n=5, cutoff=0.6)
    if close and not contains:
        best = close[0]
        if difflib.SequenceMatcher(None, nq, best).ratio() >= 0.75:
            return words[best], []
    suggestions = list(dict.fromkeys([*contains, *(words[c] for c in close)]))
    return None, suggestions


def parse_focus(dumpsys: str) -> str | None:
    """The focused package from `dumpsys window` (mCurrentFocus, else mFocusedApp)."""
    for pattern in (
        r"mCurrentFocus=Window\{[^}]*?\s([\w.]+)/[\w.$]+\}",
        r"mFocusedApp=.*?ActivityRecord\{[^}]*?\s([\w.]+)/[\w.$]+",
        r"mCurrentFocus=Window\{[^}]*?\s(\w+(?:\.\w+)+)\}",
    ):
        m = re.search(pattern, dumpsys)
        if m:
            return m.group(1)
    return None


def parse_launchable(out: str) -> dict[str, str]:
    """package -> launcher activity from `cmd package query-activities --components` output."""
    apps: dict[str, str] = {}
    for line in out.splitlines():
        line = line.strip()
        m = re.fullmatch(r"([\w.]+)/([\w.$]+)", line)
        if m:
            pkg, act = m.groups()
            apps.setdefault(pkg, pkg + act if act.startswith(".") else act)
    return apps
