"""What the portal accepts as an image and the clean bytes it makes of it."""

import io
import json
import logging
import subprocess
import sys
import time

import pytest
from PIL import Image, ImageSequence

from images_app import imaging
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


# Runs clean_image alone in a fresh interpreter, so that its peak memory can be read apart.
MEASURE_IN_A_CHILD = """
import json, resource, sys, time
from images_app.imaging import ImageRejected, clean_image

def status_kb(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

data = sys.stdin.buffer.read()
# A regression should fail with a MemoryError here, not take the machine's memory.
room = (status_kb("VmSize") + 1024 * 1024) * 1024
resource.setrlimit(resource.RLIMIT_AS, (room, room))
peak_before, started = status_kb("VmHWM"), time.perf_counter()
try:
    result = clean_image(data, max_bytes=%(max_bytes)d, max_pixels=%(max_pixels)d)
    outcome = {"code": None, "message": f"accepted: {result.width}x{result.height} x {result.frames}"}
except ImageRejected as refused:
    outcome = {"code": refused.code, "message": refused.message}
outcome["seconds"] = time.perf_counter() - started
outcome["grew_mb"] = (status_kb("VmHWM") - peak_before) / 1024
print(json.dumps(outcome))
"""


def clean_in_a_child(data):
    child = subprocess.run(
        [sys.executable, "-c", MEASURE_IN_A_CHILD % LIMITS],
        input=data,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == 0, child.stderr.decode()[-2000:]
    return json.loads(child.stdout)


def test_a_gif_whose_frames_outgrow_its_screen_is_refused_on_its_headers_alone():
    # A 1×1 screen and first frame, then six 4000×4000 frames: 66 KB that decode to 96 million pixels.
    data = images.handmade_gif((1, 1), [(0, 0, 1, 1)] + [(0, 0, 4000, 4000, 1)] * 6)
    outcome = clean_in_a_child(data)
    print(
        f"\n{len(data):,}-byte GIF, 1×1 screen, six 4000×4000 frames: refused in "
        f"{outcome['seconds'] * 1000:.2f} ms; peak RSS grew {outcome['grew_mb']:.1f} MB"
    )
    assert outcome["code"] == "too_many_pixels", outcome["message"]
    assert outcome["message"] == (
        "The image is 4000×4000 pixels × 7 frames; the limit is 16,000,000 pixels in all."
    )
    assert outcome["seconds"] < 1
    assert outcome["grew_mb"] < 100


def test_a_gif_of_a_hundred_thousand_tiny_frames_is_refused_quickly():
    # 1×1 frames spread over 16×16 on a 1×1 screen: 25.6 million pixels in 1.5 MB.
    frames = [(i % 16, i // 16 % 16, 1, 1) for i in range(100_000)]
    data = images.handmade_gif((1, 1), frames, delay=None)
    started = time.perf_counter()
    with pytest.raises(ImageRejected) as refused:
        clean(data)
    elapsed = time.perf_counter() - started
    print(f"\n{len(data):,}-byte GIF of 100,000 frames: refused in {elapsed * 1000:.0f} ms")
    assert refused.value.code == "too_many_pixels"
    assert "16×16 pixels × 100000 frames" in refused.value.message
    assert elapsed < 1


def test_a_frame_outside_the_screen_counts_in_the_pixel_limit():
    # A 4×4 screen whose second frame sits at (10, 20): the frames are drawn on 12×22.
    data = images.handmade_gif((4, 4), [(0, 0, 4, 4), (10, 20, 2, 2, 3)])
    assert clean(data, max_pixels=12 * 22 * 2).frames == 2
    with pytest.raises(ImageRejected) as refused:
        clean(data, max_pixels=12 * 22 * 2 - 1)
    assert refused.value.code == "too_many_pixels"
    assert "12×22 pixels × 2 frames" in refused.value.message


def test_frames_larger_than_the_screen_are_pushed_on_the_grown_canvas():
    data = images.handmade_gif((4, 4), [(0, 0, 4, 4, 1), (2, 2, 6, 3, 2), (9, 0, 3, 1, 3)])
    result = clean(data)
    pushed = Image.open(io.BytesIO(result.data))
    assert (result.width, result.height, result.frames) == (12, 5, 3)
    assert (pushed.size, pushed.n_frames) == ((12, 5), 3)
    # Every pixel Pillow draws for the original is drawn the same in what is pushed.
    original = Image.open(io.BytesIO(data))
    for before, after in zip(ImageSequence.Iterator(original), ImageSequence.Iterator(pushed), strict=True):
        before = before.convert("RGB")
        assert after.convert("RGB").crop((0, 0, *before.size)).tobytes() == before.tobytes()
    assert pushed.convert("RGB").getpixel((11, 0)) == images.COLOURS[3]


@pytest.mark.parametrize(
    ("colours", "durations"),
    [([1, 1, 1, 1], [1000]), ([1, 1, 2, 2], [500, 500])],
    ids=["all frames equal", "runs of equal frames"],
)
def test_equal_frames_in_a_gif_are_merged_and_their_durations_added_up(colours, durations):
    # Pillow itself merges equal frames when it saves, so such a file has to be written by hand.
    data = images.handmade_gif((8, 8), [(0, 0, 8, 8, colour) for colour in colours], delay=25)
    result = clean(data)
    pushed = Image.open(io.BytesIO(result.data))
    assert result.frames == pushed.n_frames == len(durations)
    assert [frame.info["duration"] for frame in ImageSequence.Iterator(pushed)] == durations


def drawn_frames(data):
    """Each frame as a viewer shows it, with every fully transparent pixel alike."""
    frames = []
    for frame in ImageSequence.Iterator(Image.open(io.BytesIO(data))):
        pixels = frame.convert("RGBA").getdata()
        frames.append([pixel if pixel[3] else (0, 0, 0, 0) for pixel in pixels])
    return frames


@pytest.mark.parametrize("disposal", [1, 2, 3], ids=["left in place", "cleared", "restored"])
def test_a_transparent_animation_is_pushed_as_it_is_drawn(disposal):
    data = images.moving_sprite_gif(disposal)
    assert drawn_frames(clean(data).data) == drawn_frames(data)


def damaged_gifs():
    good = images.handmade_gif((8, 8), [(0, 0, 8, 8, 1), (2, 2, 4, 4, 2)])
    second = good.rindex(b",")
    damaged = {
        "cut inside the global colour table": good[:20],
        "cut inside an image descriptor": good[: second + 5],
        "cut inside the image data": good[:-4],
        "a stray byte between blocks": good[:second] + b"\x99" + good[second:],
        "cut inside an extension after the last frame": good[:-1] + b"!\xfe\x10cut short",
        "no frame at all": good[: good.index(b",")] + b";",
    }
    return [pytest.param(data, id=name) for name, data in damaged.items()]


@pytest.mark.parametrize("data", damaged_gifs())
def test_a_gif_whose_block_structure_is_broken_is_refused_as_damaged(data):
    with pytest.raises(ImageRejected) as refused:
        clean(data)
    assert refused.value.code == "corrupt_image"
    assert "damaged" in refused.value.message


def test_a_gif_cut_short_anywhere_is_refused_as_damaged_or_read_up_to_the_cut(caplog):
    good = images.handmade_gif((8, 8), [(0, 0, 8, 8, 1), (2, 2, 4, 4, 2)])
    accepted = []
    for cut in range(6, len(good)):
        try:
            accepted.append((cut, clean(good[:cut]).frames))
        except ImageRejected as refused:
            assert refused.code == "corrupt_image", cut
    # Only a cut between two blocks leaves a GIF that reads (without its trailer), up to the cut.
    assert accepted == [(good.rindex(b"!\xf9"), 1), (good.rindex(b","), 1), (len(good) - 1, 2)]
    assert not [r for r in caplog.records if r.name == "images_app.imaging"]


@pytest.mark.parametrize("failure", [RuntimeError("a bug"), MemoryError()], ids=["bug", "no memory"])
def test_an_unexpected_failure_refuses_that_file_and_is_logged(monkeypatch, caplog, failure):
    def fail(*args):
        raise failure

    monkeypatch.setattr(imaging, "_reencode_gif", fail)
    with pytest.raises(ImageRejected) as refused:
        clean(images.animated_gif())
    assert refused.value.code == "corrupt_image"
    # The rejection must not hold on to the failure, and through it to the decoded frames.
    assert refused.value.__context__ is None
    [record] = [r for r in caplog.records if r.name == "images_app.imaging"]
    assert record.levelno == logging.ERROR
    assert record.exc_info[1] is failure


def test_a_refusal_from_deep_inside_passes_through_unchanged(monkeypatch):
    def refuse(*args):
        raise ImageRejected("too_many_pixels", "deep inside")

    monkeypatch.setattr(imaging, "_reencode_gif", refuse)
    with pytest.raises(ImageRejected) as refused:
        clean(images.animated_gif())
    assert (refused.value.code, refused.value.message) == ("too_many_pixels", "deep inside")


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
