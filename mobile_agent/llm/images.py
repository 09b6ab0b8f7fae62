"""Encode PIL images as base64 data URLs, fast, for OpenAI-style image parts.

A 1092x2408 screenshot is encoded at PNG compress_level 1 (a few tens of ms instead of a few
hundred at the default level). The same image object is often sent twice in one step (the
Reflector's AFTER is the Notetaker's current screen), so recent encodings are cached by object
identity.
"""

from __future__ import annotations

import base64
import io
import threading
import weakref
from collections import OrderedDict
from typing import Literal

from PIL import Image

ImageFormat = Literal["png", "jpeg"]

_CACHE_SIZE = 8
_cache: OrderedDict[tuple[int, str, int], tuple[weakref.ref[Image.Image], str]] = OrderedDict()
_lock = threading.Lock()


def encode_image(image: Image.Image, fmt: ImageFormat = "png", jpeg_quality: int = 90) -> bytes:
    """The image's bytes in `fmt` (PNG at a fast compression level, or JPEG at `jpeg_quality`)."""
    buf = io.BytesIO()
    if fmt == "jpeg":
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        rgb.save(buf, format="JPEG", quality=jpeg_quality)
    elif fmt == "png":
        image.save(buf, format="PNG", compress_level=1)
    else:
        raise ValueError(f"image format must be 'png' or 'jpeg', got {fmt!r}")
    return buf.getvalue()


def to_data_url(image: Image.Image, fmt: ImageFormat = "png", jpeg_quality: int = 90) -> str:
    """A `data:image/...;base64,...` URL of the image (cached for recently encoded objects)."""
    key = (id(image), fmt, jpeg_quality if fmt == "jpeg" else 0)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0]() is image:
            _cache.move_to_end(key)
            return hit[1]
    mime = "image/jpeg" if fmt == "jpeg" else "image/png"
    url = f"data:{mime};base64," + base64.b64encode(encode_image(image, fmt, jpeg_quality)).decode("ascii")
    with _lock:
        _cache[key] = (weakref.ref(image), url)
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return url
