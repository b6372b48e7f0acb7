"""A GIF's canvas and frames, read from its block structure without decoding any pixels."""

import struct
from typing import NamedTuple

HEADERS = (b"GIF87a", b"GIF89a")
EXTENSION, IMAGE, TRAILER = 0x21, 0x2C, 0x3B
GRAPHIC_CONTROL = 0xF9


class BrokenGif(ValueError):
    """The bytes do not follow GIF's block structure."""


class GifLayout(NamedTuple):
    width: int
    height: int
    frames: int
    # Some frame is wiped after display (restored to the background or to what was there before).
    disposes: bool


def gif_layout(data: bytes) -> GifLayout:
    """The canvas (the logical screen grown to hold every frame), the frames drawn on it and how."""
    if len(data) < 13 or data[:6] not in HEADERS:
        raise BrokenGif("no GIF header and logical screen descriptor")
    width, height, flags = struct.unpack_from("<HHB", data, 6)
    at = 13 + _colour_table_size(flags)
    frames, disposes = 0, False
    # A file that ends between two blocks, without its trailer, is what most decoders accept.
    while at < len(data) and data[at] != TRAILER:
        if data[at] == EXTENSION:
            body, end = at + 2, _after_sub_blocks(data, at + 2)
            if data[at + 1] == GRAPHIC_CONTROL and data[body]:
                disposes |= (data[body + 1] >> 2) & 0b111 >= 2
            at = end
        elif data[at] == IMAGE:
            if at + 10 > len(data):
                raise BrokenGif(f"image descriptor cut short at byte {at}")
            left, top, frame_width, frame_height, flags = struct.unpack_from("<HHHHB", data, at + 1)
            width, height = max(width, left + frame_width), max(height, top + frame_height)
            frames += 1
            # After the descriptor: a local colour table, the LZW minimum code size, the data.
            at = _after_sub_blocks(data, at + 10 + _colour_table_size(flags) + 1)
        else:
            raise BrokenGif(f"unexpected byte {data[at]:#04x} at byte {at}")
    if not frames:
        raise BrokenGif("no image in the file")
    return GifLayout(width, height, frames, disposes)


def _colour_table_size(flags: int) -> int:
    return 3 << ((flags & 0b111) + 1) if flags & 0b1000_0000 else 0


def _after_sub_blocks(data: bytes, at: int) -> int:
    """Skip sub-blocks (a length byte, then that many bytes) up to the empty one that ends them."""
    while at < len(data):
        size = data[at]
        at += 1 + size
        if size == 0:
            return at
    raise BrokenGif("the data ends inside a block")
