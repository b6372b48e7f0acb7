"""Asset rows made straight in the database, for tests that need many of them (no upload, no file)."""

from images_app.models import Asset


def bare_asset(environment, n, **fields):
    """An unsaved asset numbered `n`: a made-up staged path and digest, the facts of a 1×1 PNG;
    `fields` set anything else or override these."""
    return Asset(
        **{
            "environment": environment,
            "file": f"staging/x/{n}.png",
            "filename": f"{n}.png",
            "sha256": f"{n:064x}",
            "format": "png",
            "content_type": "image/png",
            "width": 1,
            "height": 1,
            "byte_size": 1,
            **fields,
        }
    )
