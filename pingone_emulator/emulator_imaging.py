"""Byte sniffing and Pillow decoding of uploaded images, and their PNG re-encoding."""

import io
import warnings
from dataclasses import dataclass

from PIL import Image

SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
]
PILLOW_FORMATS = {"png": "PNG", "jpg": "JPEG", "gif": "GIF"}
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif"}


class InvalidImageData(ValueError):
    """Bytes that are not a PNG, JPEG or GIF image that Pillow can decode."""


@dataclass(frozen=True)
class DecodedImage:
    """An accepted upload: its real format, its size, and the bytes to store."""

    type: str
    width: int
    height: int
    stored: bytes


def sniff(data):
    """Return "png", "jpg" or "gif" from the magic bytes, or None."""
    for signature, kind in SIGNATURES:
        if data.startswith(signature):
            return kind
    return None


def _png_bytes(image):
    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        # CMYK, YCbCr and friends cannot be written as PNG as they are.
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def decode(data, store_format="png"):
    """Decode an upload; return a DecodedImage, or raise InvalidImageData."""
    kind = sniff(data)
    if kind is None:
        raise InvalidImageData("The file is not a PNG, JPEG or GIF image.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format != PILLOW_FORMATS[kind]:
                raise InvalidImageData("The image content does not match its signature.")
            image.load()
            stored = data if store_format == "original" else _png_bytes(image)
    except InvalidImageData:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidImageData("The image has too many pixels.") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidImageData("The image could not be decoded.") from exc
    return DecodedImage(
        type=kind if store_format == "original" else "png",
        width=int(image.width),
        height=int(image.height),
        stored=stored,
    )
