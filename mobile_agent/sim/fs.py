"""An in-memory file system for the virtual phone.

The phone never touches the host's disk: `adb push`, `screencap -p FILE`, `uiautomator dump
FILE`, `cat`, `ls`, `rm` and `mkdir` all act on this tree. Paths are absolute POSIX paths.
"""

from __future__ import annotations

import posixpath
import time
from dataclasses import dataclass, field


class FSError(Exception):
    """An Android-style file error; `str()` is the message a shell would print."""


@dataclass
class FileEntry:
    data: bytes = b""
    mode: int = 0o100644
    mtime: int = field(default_factory=lambda: int(time.time()))


def normalize(path: str) -> str:
    """Absolute, normalised path (`/sdcard/../x` -> `/x`)."""
    if not path.startswith("/"):
        path = "/" + path
    return posixpath.normpath(path).replace("//", "/")


class VirtualFS:
    """Files and directories kept in dicts; directories are implied by `mkdir` or by files."""

    DEFAULT_DIRS = (
        "/",
        "/sdcard",
        "/sdcard/Download",
        "/sdcard/DCIM",
        "/sdcard/Pictures",
        "/sdcard/Documents",
        "/data",
        "/data/local",
        "/data/local/tmp",
        "/system",
        "/system/bin",
        "/storage",
        "/storage/emulated",
        "/storage/emulated/0",
    )

    def __init__(self) -> None:
        self.files: dict[str, FileEntry] = {}
        self.dirs: set[str] = set(self.DEFAULT_DIRS)

    # queries
    def exists(self, path: str) -> bool:
        p = normalize(path)
        return p in self.files or p in self.dirs

    def is_dir(self, path: str) -> bool:
        return normalize(path) in self.dirs

    def read(self, path: str) -> bytes:
        p = normalize(path)
        if p in self.dirs:
            raise FSError(f"{path}: Is a directory")
        if p not in self.files:
            raise FSError(f"{path}: No such file or directory")
        return self.files[p].data

    def stat(self, path: str) -> FileEntry | None:
        p = normalize(path)
        if p in self.files:
            return self.files[p]
        if p in self.dirs:
            return FileEntry(b"", 0o040755, 0)
        return None

    def entry(self, path: str) -> FileEntry:
        """`stat` for a path that must exist (FSError when it does not)."""
        st = self.stat(path)
        if st is None:
            raise FSError(f"{path}: No such file or directory")
        return st

    def listdir(self, path: str) -> list[str]:
        p = normalize(path)
        if p in self.files:
            return [posixpath.basename(p)]
        if p not in self.dirs:
            raise FSError(f"{path}: No such file or directory")
        prefix = p.rstrip("/") + "/"
        names = {
            q[len(prefix) :].split("/", 1)[0]
            for q in list(self.files) + list(self.dirs)
            if q.startswith(prefix) and q != p
        }
        return sorted(names)

    # changes
    def write(self, path: str, data: bytes, mode: int = 0o100644, mtime: int | None = None) -> None:
        p = normalize(path)
        if p in self.dirs:
            raise FSError(f"{path}: Is a directory")
        parent = posixpath.dirname(p)
        if parent not in self.dirs:
            raise FSError(f"{path}: No such file or directory")
        self.files[p] = FileEntry(data, mode, int(time.time()) if mtime is None else mtime)

    def mkdir(self, path: str, parents: bool = False) -> None:
        p = normalize(path)
        if p in self.files:
            raise FSError(f"{path}: File exists")
        parent = posixpath.dirname(p)
        if parent not in self.dirs:
            if not parents:
                raise FSError(f"{path}: No such file or directory")
            self.mkdir(parent, parents=True)
        self.dirs.add(p)

    def remove(self, path: str, recursive: bool = False) -> None:
        p = normalize(path)
        if p in self.files:
            del self.files[p]
            return
        if p in self.dirs:
            if not recursive:
                raise FSError(f"{path}: Is a directory")
            if p in self.DEFAULT_DIRS:
                raise FSError(f"{path}: Permission denied")
            prefix = p.rstrip("/") + "/"
            for q in [q for q in self.files if q.startswith(prefix)]:
                del self.files[q]
            self.dirs = {d for d in self.dirs if not (d == p or d.startswith(prefix))}
            return
        raise FSError(f"{path}: No such file or directory")

    # snapshot support
    def snapshot(self) -> dict[str, object]:
        return {
            "files": {k: (v.data, v.mode, v.mtime) for k, v in self.files.items()},
            "dirs": sorted(self.dirs),
        }

    def restore(self, snap: dict[str, object]) -> None:
        files = snap["files"]
        assert isinstance(files, dict)
        self.files = {k: FileEntry(d, m, t) for k, (d, m, t) in files.items()}
        dirs = snap["dirs"]
        assert isinstance(dirs, list)
        self.dirs = set(dirs)
