"""Decide what an uploaded file really is and produce the clean bytes that PingOne receives."""

import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

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

    def __init__(self, code, message):
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
    def content_type(self):
        return CONTENT_TYPES[self.format]

    @property
    def extension(self):
        return EXTENSIONS[self.format]

    @property
    def sha256(self):
        return hashlib.sha256(self.data).hexdigest()


def sniff_format(data):
    """The format named by the file's first bytes, or None when it is not PNG, JPEG or GIF."""
    for signature, name in SIGNATURES:
        if data.startswith(signature):
            return name
    return None


def describe_unsupported(data):
    if data.lstrip()[:5].lower() in (b"<?xml", b"<svg "):
        return "an SVG drawing"
    for signature, name in KNOWN_OTHERS:
        if data.startswith(signature):
            return f"a {name} file"
    return "not a PNG, JPEG or GIF image"


def clean_image(data, *, max_bytes, max_pixels):
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
    image = _open(data, fmt, max_pixels)
    cleaned = _reencode(image, fmt)
    if len(cleaned) > max_bytes:
        raise ImageRejected(
            "file_too_large",
            f"Without its metadata the image is {len(cleaned):,} bytes; "
            f"the limit is {max_bytes:,} bytes.",
        )
    width, height = _oriented_size(image)
    return CleanImage(cleaned, fmt, width, height, getattr(image, "n_frames", 1))


def _open(data, fmt, max_pixels):
    corrupt = ImageRejected("corrupt_image", f"The {fmt.upper()} data is damaged or incomplete.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[PIL_FORMATS[fmt]])
            width, height = image.size
            frames = getattr(image, "n_frames", 1)
            if width * height * frames > max_pixels:
                raise ImageRejected(
                    "too_many_pixels",
                    f"The image is {width}×{height} pixels"
                    + (f" × {frames} frames" if frames > 1 else "")
                    + f"; the limit is {max_pixels:,} pixels in all.",
                )
            # Open is lazy: decode every frame now so damage shows here, not at push time.
            for frame in ImageSequence.Iterator(image):
                frame.load()
            image.seek(0)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("too_many_pixels", "The image has too many pixels to be decoded.")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise corrupt
    return image


def _orientation(image):
    try:
        return image.getexif().get(EXIF_ORIENTATION, 1)
    except Exception:  # a damaged EXIF block is dropped, not fatal  # noqa: BLE001
        return 1


def _oriented_size(image):
    width, height = image.size
    return (height, width) if _orientation(image) in (5, 6, 7, 8) else (width, height)


def _reencode(image, fmt):
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
        _reencode_gif(image, out)
    return out.getvalue()


def _reencode_gif(image, out):
    frames, durations, disposals = [], [], []
    for frame in ImageSequence.Iterator(image):
        durations.append(frame.info.get("duration", 0))
        disposals.append(getattr(frame, "disposal_method", 0))
        copy = frame.copy()
        copy.info = {k: frame.info[k] for k in ("transparency", "background") if k in frame.info}
        frames.append(copy)
    options = {}
    if len(frames) > 1:
        options = {
            "save_all": True,
            "append_images": frames[1:],
            "duration": durations,
            "disposal": disposals,
            "loop": image.info.get("loop", 0),
        }
    frames[0].save(out, "GIF", comment=b"", **options)


def safe_filename(original, extension):
    """A name PingOne can take in Content-Disposition: ASCII, no path, the real extension."""
    name = re.split(r"[\\/]", original or "")[-1]
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_")[:100] or "image"
    return f"{stem}.{extension}"


def display_filename(original):
    """The uploaded name as people will see it: no path, no control characters."""
    name = re.split(r"[\\/]", original or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:255] or "unnamed"
