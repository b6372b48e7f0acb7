"""Test images built in memory with Pillow."""

import io

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
