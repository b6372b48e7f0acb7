"""What the portal accepts as an image and the clean bytes it makes of it."""

import io

import pytest
from PIL import Image

from images_app.imaging import ImageRejected, clean_image, display_filename, safe_filename
from tests import images

LIMITS = {"max_bytes": 2_000_000, "max_pixels": 16_000_000}


def clean(data, **limits):
    return clean_image(data, **{**LIMITS, **limits})


@pytest.mark.parametrize(
    ("data", "fmt", "content_type"),
    [
        (images.png(), "png", "image/png"),
        (images.jpeg(), "jpeg", "image/jpeg"),
        (images.gif(), "gif", "image/gif"),
    ],
)
def test_png_jpeg_and_gif_are_accepted_by_their_content(data, fmt, content_type):
    result = clean(data)
    assert (result.format, result.content_type, result.width, result.height) == (fmt, content_type, 32, 24)
    assert Image.open(io.BytesIO(result.data)).size == (32, 24)


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"", "empty_file", "empty"),
        (b"just some text, not an image", "unsupported_format", "PNG, JPEG and GIF"),
        (images.image_bytes("WEBP"), "unsupported_format", "WebP"),
        (images.image_bytes("BMP"), "unsupported_format", "BMP"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "unsupported_format", "SVG"),
        (images.png()[:60], "corrupt_image", "damaged"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "corrupt_image", "damaged"),
    ],
)
def test_files_that_are_not_usable_images_are_refused_with_a_code_and_a_reason(data, code, words):
    with pytest.raises(ImageRejected) as refused:
        clean(data)
    assert refused.value.code == code
    assert words in refused.value.message


def test_the_byte_limit_is_inclusive():
    data = images.png(size=(64, 64))
    assert clean(data, max_bytes=len(data)).width == 64
    with pytest.raises(ImageRejected) as refused:
        clean(data, max_bytes=len(data) - 1)
    assert refused.value.code == "file_too_large"


def test_the_pixel_limit_is_inclusive_and_counts_frames():
    assert clean(images.png(size=(100, 50)), max_pixels=5000).width == 100
    with pytest.raises(ImageRejected) as refused:
        clean(images.png(size=(100, 51)), max_pixels=5000)
    assert refused.value.code == "too_many_pixels"
    with pytest.raises(ImageRejected) as refused:
        clean(images.animated_gif(frames=3, size=(16, 16)), max_pixels=16 * 16 * 3 - 1)
    assert refused.value.code == "too_many_pixels"


def test_a_name_that_lies_does_not_matter_only_the_bytes_do():
    # A PNG named .jpg is pushed as PNG with a .png name.
    result = clean(images.png())
    assert result.format == "png"
    assert safe_filename("logo.jpg", result.extension) == "logo.png"


def test_jpeg_exif_gps_and_comments_are_removed_and_orientation_applied():
    raw = images.jpeg_with_exif(orientation=6, size=(40, 20))
    assert b"SecretCameraMaker" in raw and b"secret jpeg comment" in raw
    result = clean(raw)
    assert b"SecretCameraMaker" not in result.data
    assert b"secret jpeg comment" not in result.data
    assert b"Exif" not in result.data
    pushed = Image.open(io.BytesIO(result.data))
    # Orientation 6 means "rotate 90° clockwise to display": 40x20 becomes 20x40.
    assert pushed.size == (20, 40) == (result.width, result.height)
    assert not pushed.getexif()
    # The red half, on the left before, is now at the top.
    assert pushed.convert("RGB").getpixel((10, 2))[0] > 200
    assert pushed.convert("RGB").getpixel((10, 37))[0] < 60


def test_png_text_and_xmp_chunks_are_removed():
    raw = images.png_with_text()
    result = clean(raw)
    assert b"secret text chunk" not in result.data
    assert b"secret xmp" not in result.data
    assert Image.open(io.BytesIO(result.data)).getpixel((0, 0)) == (1, 2, 3)


def test_anything_after_the_image_data_is_removed():
    raw = images.png() + b"TRAILING-PAYLOAD" * 10
    result = clean(raw)
    assert b"TRAILING-PAYLOAD" not in result.data
    raw = images.jpeg() + b"TRAILING-PAYLOAD"
    assert b"TRAILING-PAYLOAD" not in clean(raw).data


def test_an_animated_gif_keeps_its_frames_and_loses_its_comment():
    result = clean(images.animated_gif(frames=3))
    assert b"secret comment" not in result.data
    pushed = Image.open(io.BytesIO(result.data))
    assert pushed.n_frames == 3 == result.frames


def test_the_sha256_is_that_of_the_clean_bytes():
    import hashlib

    result = clean(images.png_with_text())
    assert result.sha256 == hashlib.sha256(result.data).hexdigest()


@pytest.mark.parametrize(
    ("original", "extension", "expected"),
    [
        ("logo.png", "png", "logo.png"),
        ("Company Logo (final).JPG", "jpg", "Company-Logo-final.jpg"),
        ("../../etc/passwd", "png", "passwd.png"),
        ("C:\\Users\\me\\Desktop\\icon.gif", "gif", "icon.gif"),
        ("Société Générale.png", "png", "Societe-Generale.png"),
        ('bad"name;\r\nX-Header: 1.png', "png", "bad-name-X-Header-1.png"),
        ("", "gif", "image.gif"),
        ("....png", "png", "image.png"),
    ],
)
def test_the_filename_sent_to_pingone_is_safe_and_matches_the_format(original, extension, expected):
    assert safe_filename(original, extension) == expected


def test_the_displayed_name_drops_paths_and_control_characters():
    assert display_filename("C:\\fakepath\\my logo\x00.png") == "my logo.png"
    assert display_filename("") == "unnamed"
