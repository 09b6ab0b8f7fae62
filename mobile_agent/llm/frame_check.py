"""Check, from a server's token count, that it saw our screenshots at the size we sent them.

The agent resizes each screenshot with `smart_resize` before sending it and maps the model's
points back from that size. A server whose pixel budget is below ours resizes again, and the
model then answers in another frame: every tap lands off target with no error anywhere. vLLM
counts image tokens in `usage.prompt_tokens`, so the first response tells us what it saw:

- exactly, when the server can count the text alone (vLLM's `/tokenize`): the image tokens are
  the prompt minus the text, and each image costs (H/28)*(W/28) tokens plus its two
  `<|vision_start|>`/`<|vision_end|>` markers;
- otherwise by bounds: a prompt smaller than our images' tokens alone means the server shrank
  them; one larger than images plus every byte of text means it enlarged them. A budget only
  slightly below ours can hide inside the text's share there; `/tokenize` leaves no such gap.

Only for models whose profile answers in pixels of the resized image (the `resized` frame):
a 0-1000 grid means the same point at any size.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from mobile_agent.llm.base import Message, ModelUnavailable, TextPart
from mobile_agent.llm.profiles import get_profile

__all__ = ["FrameMismatch", "ImageCount", "check_counts", "count_images", "resized_frame_factor"]

MARKERS_PER_IMAGE = 2  # <|vision_start|> and <|vision_end|> around the image's pad tokens
# Template tokens beside the text itself: role headers, <|im_start|>/<|im_end|>, a default
# system prompt some templates add, the generation prompt.
OVERHEAD_TOKENS = 64
OVERHEAD_PER_MESSAGE = 8


class FrameMismatch(ModelUnavailable):
    """The server resized our screenshots to another pixel budget: a set-up error, not a step's.

    A `ModelUnavailable` so the run stops at once as a set-up problem (exit 2 at step 1).
    """


def resized_frame_factor(model: str) -> int | None:
    """The image grid of the model's profile when it answers in resized-image pixels, else None."""
    try:
        profile = get_profile(model)
    except KeyError:
        return None
    return profile.image_factor if profile.coordinate_frame == "resized" else None


@dataclass(frozen=True)
class ImageCount:
    """The images of one request and the tokens they cost at the size they were sent."""

    sizes: tuple[tuple[int, int], ...]  # (width, height) of each image
    tokens: int  # image tokens alone, markers excluded
    factor: int

    @property
    def count(self) -> int:
        return len(self.sizes)


def count_images(messages: list[Message], factor: int) -> ImageCount | None:
    """Our prediction, or None when there is nothing to check (no image, or not on the grid)."""
    images: list[Image.Image] = [im for m in messages for im in m.images()]
    if not images or any(im.width % factor or im.height % factor for im in images):
        return None
    tokens = sum((im.width // factor) * (im.height // factor) for im in images)
    return ImageCount(tuple(im.size for im in images), tokens, factor)


def text_upper_bound(messages: list[Message]) -> int:
    """Tokens the text can cost at most: one per UTF-8 byte (byte-level BPE) plus the template."""
    text = sum(len(p.text.encode()) for m in messages for p in m.parts() if isinstance(p, TextPart))
    return text + OVERHEAD_TOKENS + OVERHEAD_PER_MESSAGE * len(messages)


def text_only(messages: list[Message]) -> list[Message]:
    """The messages without their images (what `/tokenize` counts as text)."""
    return [Message(m.role, [p for p in m.parts() if isinstance(p, TextPart)]) for m in messages]


def check_counts(
    messages: list[Message],
    images: ImageCount,
    prompt_tokens: int,
    text_tokens: int | None,
    *,
    client_max_pixels: int | None,
    where: str,
) -> int | None:
    """Raise `FrameMismatch` when the counts show another image size; else the server's image
    tokens when they could be measured exactly (`text_tokens` known), else None."""
    k = images.count
    expected = images.tokens + MARKERS_PER_IMAGE * k
    if text_tokens is not None:
        seen = prompt_tokens - text_tokens
        if abs(seen - expected) <= MARKERS_PER_IMAGE * k:
            return seen - MARKERS_PER_IMAGE * k
        per_image = max(0, seen // k - MARKERS_PER_IMAGE)
        raise FrameMismatch(_message(images, per_image, "", client_max_pixels, where))
    if prompt_tokens < images.tokens:  # less than the images alone, whatever the text costs
        per_image = max(0, prompt_tokens // k - MARKERS_PER_IMAGE)
        raise FrameMismatch(_message(images, per_image, "at most ", client_max_pixels, where))
    if prompt_tokens > expected + text_upper_bound(messages):
        per_image = (prompt_tokens - text_upper_bound(messages)) // k - MARKERS_PER_IMAGE
        raise FrameMismatch(_message(images, per_image, "at least ", client_max_pixels, where))
    return None


def _message(
    images: ImageCount, per_image: int, bound: str, client_max_pixels: int | None, where: str
) -> str:
    w, h = images.sizes[0]
    f = images.factor
    ours = (w // f) * (h // f)
    server_pixels = per_image * f * f
    budget = f"max_pixels {client_max_pixels:,}" if client_max_pixels else f"{w * h:,} pixels"
    smaller = "smaller" if per_image < ours else "larger"
    return (
        f"frame mismatch: the server at {where} resized our screenshots again. This client sent "
        f"{images.count} image(s) of {w}x{h} ({ours} image tokens each) under its pixel budget of "
        f"{budget}; the server's token count shows {bound}{per_image} image tokens per image, i.e. "
        f"a {smaller} pixel budget of {bound}~{server_pixels:,} pixels. The model would answer in "
        "another frame than the one its points are mapped back from, and every tap would miss. "
        "Fix: use the same profile on both sides (`python -m serving launch --profile P` and "
        "`mobile-agent run --profile P`), or set MOBILE_AGENT_MAX_PIXELS to the server's max_pixels "
        "(its --mm-processor-kwargs)."
    )
