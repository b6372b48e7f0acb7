"""Decide what an uploaded file really is and produce the clean bytes that PingOne receives."""

import hashlib
import io
import logging
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from .gif_headers import BrokenGif, gif_layout

log = logging.getLogger(__name__)

# The only formats PingOne accepts, keyed by how their bytes begin.
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif"}
EXTENSIONS = {"png": "png", "jpeg": "jpg", "gif": "gif"}
PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF"}

# Formats people often try, named so the refusal says what the file is.
KNOWN_OTHERS = (
    (b"RIFF", "WebP"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"),
    (b"\x00\x00\x01\x00", "ICO"),
)
EXIF_ORIENTATION = 0x0112


class ImageRejected(Exception):
    """The file cannot be pushed; `code` is stable for clients, `message` is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    format: str
    width: int
    height: int
    frames: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff_format(data: bytes) -> str | None:
    """The format named by the file's first bytes, or None when it is not PNG, JPEG or GIF."""
    for signature, name in SIGNATURES:
        if data.startswith(signature):
            return name
    return None


def describe_unsupported(data: bytes) -> str:
    """What a file that is not PNG, JPEG or GIF seems to be, for the refusal message."""
    if data.lstrip()[:5].lower() in (b"<?xml", b"<svg "):
        return "an SVG drawing"
    for signature, name in KNOWN_OTHERS:
        if data.startswith(signature):
            return f"a {name} file"
    return "not a PNG, JPEG or GIF image"


def clean_image(data: bytes, *, max_bytes: int, max_pixels: int) -> CleanImage:
    """Validate `data` and return it re-encoded without metadata; raise ImageRejected if unfit."""
    if not data:
        raise ImageRejected("empty_file", "The file is empty.")
    if len(data) > max_bytes:
        raise ImageRejected(
            "file_too_large",
            f"The file is {len(data):,} bytes; the limit is {max_bytes:,} bytes.",
        )
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageRejected(
            "unsupported_format",
            f"This file is {describe_unsupported(data)}. Only PNG, JPEG and GIF images are accepted.",
        )
    try:
        return _clean(data, fmt, max_bytes, max_pixels)
    except ImageRejected:
        raise
    except Exception:
        # One odd file (or a decoder bug, or memory running out) must cost only that file.
        log.exception("Unexpected failure while reading an uploaded %s image", fmt.upper())
    # Raised outside the handler, so the rejection does not keep the failed decode's frames alive.
    raise ImageRejected("corrupt_image", f"The {fmt.upper()} data is damaged or could not be read.")


def _clean(data, fmt, max_bytes, max_pixels):
    image, layout = _open(data, fmt, max_pixels)
    cleaned = _reencode(image, fmt, layout)
    if len(cleaned) > max_bytes:
        raise ImageRejected(
            "file_too_large",
            f"Without its metadata the image is {len(cleaned):,} bytes; the limit is {max_bytes:,} bytes.",
        )
    if layout:
        # Describe what is pushed: frames that Pillow found identical have been merged.
        pushed = gif_layout(cleaned)
        return CleanImage(cleaned, fmt, pushed.width, pushed.height, pushed.frames)
    width, height = _oriented_size(image)
    return CleanImage(cleaned, fmt, width, height, getattr(image, "n_frames", 1))


def _open(data, fmt, max_pixels):
    corrupt = ImageRejected("corrupt_image", f"The {fmt.upper()} data is damaged or incomplete.")
    layout = None
    try:
        if fmt == "gif":
            # Pillow's size for a GIF is only its logical screen, and later frames can be far larger.
            layout = gif_layout(data)
            _check_pixels(layout.width, layout.height, layout.frames, max_pixels)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[PIL_FORMATS[fmt]])
            if not layout:
                _check_pixels(*image.size, getattr(image, "n_frames", 1), max_pixels)
            # Open is lazy: decode every frame now so damage shows here, not at push time.
            for frame in ImageSequence.Iterator(image):
                frame.load()
            image.seek(0)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("too_many_pixels", "The image has too many pixels to be decoded.")
    except (BrokenGif, UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise corrupt
    return image, layout


def _check_pixels(width, height, frames, max_pixels):
    if width * height * frames > max_pixels:
        raise ImageRejected(
            "too_many_pixels",
            f"The image is {width}×{height} pixels"
            + (f" × {frames} frames" if frames > 1 else "")
            + f"; the limit is {max_pixels:,} pixels in all.",
        )


def _orientation(image):
    try:
        return image.getexif().get(EXIF_ORIENTATION, 1)
    except Exception:  # a damaged EXIF block is dropped, not fatal  # noqa: BLE001
        return 1


def _oriented_size(image):
    width, height = image.size
    return (height, width) if _orientation(image) in (5, 6, 7, 8) else (width, height)


def _reencode(image, fmt, layout):
    """Write the pixels again: no EXIF, XMP, comments or text chunks, nothing after the image."""
    out = io.BytesIO()
    icc = image.info.get("icc_profile")
    extra = {"icc_profile": icc} if icc else {}
    if fmt == "jpeg":
        if _orientation(image) == 1:
            image.info.pop("comment", None)
            # Re-use the original quantisation: no visible loss, about the same size.
            image.save(out, "JPEG", quality="keep", subsampling="keep", exif=b"", **extra)
        else:
            rotated = ImageOps.exif_transpose(image)
            rotated.info = {}
            rotated.save(out, "JPEG", quality=95, exif=b"", **extra)
    elif fmt == "png":
        rotated = ImageOps.exif_transpose(image)
        keep = {k: image.info[k] for k in ("transparency",) if k in image.info}
        rotated.info = {}
        rotated.save(out, "PNG", **keep, **extra)
    else:
        _reencode_gif(image, out, layout)
    return out.getvalue()


def _reencode_gif(image, out, layout):
    frames = _frames(image)
    first = next(frames)
    if layout.frames == 1:
        first.save(out, "GIF", comment=b"")
        return
    # Pillow hands over every frame fully drawn, so the original disposal methods no longer fit.
    # Unless frames were wiped, a pixel never turns transparent again: drawing each frame over the
    # last, only where it changed, is exact. Otherwise each frame must be cleared first.
    transparent = first.mode == "RGBA" or "transparency" in first.info
    first.save(
        out,
        "GIF",
        comment=b"",
        save_all=True,
        append_images=frames,
        disposal=2 if transparent and layout.disposes else 1,
        loop=image.info.get("loop", 0),
    )


def _frames(image):
    """Each frame as an image of its own, made only when the encoder asks for it.

    Every frame has the canvas's full size: decoding them all in `_open` has already grown Pillow's
    canvas. Durations travel with each frame, so Pillow adds them up when it merges equal frames.
    """
    for frame in ImageSequence.Iterator(image):
        copy = frame.copy()
        copy.info = {k: frame.info[k] for k in ("transparency", "background") if k in frame.info}
        copy.info["duration"] = frame.info.get("duration", 0)
        yield copy


def safe_filename(original: str | None, extension: str) -> str:
    """A name PingOne can take in Content-Disposition: ASCII, no path, the real extension."""
    name = re.split(r"[\\/]", original or "")[-1]
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_")[:100] or "image"
    return f"{stem}.{extension}"


def display_filename(original: str | None) -> str:
    """The uploaded name as people will see it: no path, no control characters."""
    name = re.split(r"[\\/]", original or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:255] or "unnamed"
