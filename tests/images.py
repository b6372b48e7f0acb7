"""Test images built in memory: with Pillow, or byte by byte where Pillow would not write them."""

import io
import struct

from PIL import Image, PngImagePlugin

COLOURS = [(200, 30, 40), (20, 160, 60), (30, 60, 200), (220, 200, 20)]


def image_bytes(fmt="PNG", size=(32, 24), colour=(200, 30, 40), **save_options):
    """An image of one colour, encoded as `fmt`; different colours give different bytes."""
    mode = "RGBA" if fmt == "PNG" else "RGB"
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, fmt, **save_options)
    return out.getvalue()


def png(size=(32, 24), colour=(200, 30, 40), **options):
    return image_bytes("PNG", size, colour, **options)


def jpeg(size=(32, 24), colour=(30, 60, 200), **options):
    return image_bytes("JPEG", size, colour, **options)


def gif(size=(32, 24), colour=(20, 160, 60), **options):
    return image_bytes("GIF", size, colour, **options)


def cmyk_jpeg(size=(32, 24)):
    """A CMYK JPEG: decodable, but not writable as PNG without a conversion."""
    out = io.BytesIO()
    Image.new("CMYK", size, (10, 20, 30, 40)).save(out, "JPEG")
    return out.getvalue()


def animated_gif(frames=3, size=(16, 16)):
    images = [Image.new("RGB", size, COLOURS[i % len(COLOURS)]) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(
        out,
        "GIF",
        save_all=True,
        append_images=images[1:],
        duration=[100, 200, 300][:frames],
        loop=0,
        comment=b"secret comment",
    )
    return out.getvalue()


def moving_sprite_gif(disposal, frames=4, size=(20, 20)):
    """A blue square crossing a transparent background, each frame disposed of as `disposal` says."""
    images = []
    for i in range(frames):
        image = Image.new("RGBA", size, (0, 0, 0, 0))
        image.paste((30, 60, 200, 255), (i * 4, i * 3, i * 4 + 6, i * 3 + 6))
        images.append(image)
    out = io.BytesIO()
    images[0].save(
        out, "GIF", save_all=True, append_images=images[1:], duration=100, disposal=disposal, loop=0
    )
    return out.getvalue()


def png_with_text(text="secret text chunk", size=(20, 10)):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret xmp</x:xmpmeta>")
    out = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def jpeg_with_exif(orientation=6, size=(40, 20), gps=True, comment=b"secret jpeg comment"):
    image = Image.new("RGB", size, (10, 200, 10))
    # A red left half, so a rotation is visible in the pixels.
    image.paste((250, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SecretCameraMaker"
    if gps:
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=comment, quality=90)
    return out.getvalue()


def handmade_gif(screen=(1, 1), frames=((0, 0, 1, 1),), *, delay=10):
    """A GIF written byte by byte, so that its logical screen and frame rectangles can be anything.

    `frames` are (left, top, width, height) rectangles, each filled with one colour: COLOURS[0], or
    the colour index given as a fifth item. `delay=None` leaves out the graphic control extensions.
    """
    out = bytearray(b"GIF89a")
    # Logical screen descriptor with a global colour table of the four COLOURS.
    out += struct.pack("<HHBBB", *screen, 0b1000_0001, 0, 0)
    out += b"".join(bytes(colour) for colour in COLOURS)
    if len(frames) > 1:
        out += b"!\xff" + _sub_blocks(b"NETSCAPE2.0")[:-1] + _sub_blocks(b"\x01\x00\x00")
    for left, top, width, height, *colour in frames:
        if delay is not None:
            out += b"!\xf9" + _sub_blocks(struct.pack("<BHB", 0b0000_0100, delay, 0))
        out += b"," + struct.pack("<HHHHB", left, top, width, height, 0)
        out += b"\x02" + _sub_blocks(_solid_lzw(colour[0] if colour else 0, width * height))
    return bytes(out + b";")


def _sub_blocks(data):
    chunks = [data[i : i + 255] for i in range(0, len(data), 255)]
    return b"".join(bytes([len(chunk)]) + chunk for chunk in chunks) + b"\x00"


def _solid_lzw(index, count, min_code_size=2):
    """LZW data for `count` pixels of one colour: each code stands for a run one pixel longer than the last.

    Millions of pixels take a few thousand codes, so hostile frames are cheap to build.
    """
    clear = 1 << min_code_size
    out = bytearray()
    bits = used = 0
    width, next_code = min_code_size + 1, clear + 2

    def emit(code):
        nonlocal bits, used
        bits |= code << used
        used += width
        while used >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            used -= 8

    emit(clear)
    longest = 1
    while count:
        run = min(longest, count)
        emit(index if run == 1 else clear + run)
        count -= run
        if next_code == 4096:
            emit(clear)
            width, next_code, longest = min_code_size + 1, clear + 2, 1
            continue
        # The decoder adds its entry one code late, so the width grows after this code, not before.
        if next_code == 1 << width and width < 12:
            width += 1
        next_code += 1
        longest = run + 1
    emit(clear + 1)
    if used:
        out.append(bits & 0xFF)
    return bytes(out)
