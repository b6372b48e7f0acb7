"""Where a push's time goes: the upload request and the push, profiled in one process.

Starts the emulator, makes a fresh database (Postgres when DATABASE_URL points to one), then
posts N small PNGs to the upload view (Django's test client, 20 files a request) and runs the
push for each of them as the worker would (services.push_asset), each under pyinstrument, and
counts the SQL statements of one push. Queued messages go to Redis db 7 and are thrown away.

    .venv/bin/python bench/profile_push.py [--count 200] [--html folder]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import images  # noqa: E402
from tests.emulator_support import EmulatorProcess  # noqa: E402
from tests.ids import PRODUCTION  # noqa: E402
from tests.portal_stack import database_url_for_run, emulator_config  # noqa: E402

REDIS_DB = "redis://127.0.0.1:6379/7"


def configure(emulator, database_url, media):
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="profile-only",
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_COOKIES="0",
        PORTAL_ALLOW_HTTP_IMAGE_LINKS="1",
        PORTAL_NEW_ENVIRONMENT_GRACE_SECONDS="0",
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_DB,
        PINGONE_AUTH_BASE_URL=emulator.base_url,
        PINGONE_API_BASE_URL=emulator.api_url,
        PORTAL_MEDIA_ROOT=media,
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("add_environment", "production", PRODUCTION, "--name", "Production", "--groups", "Branding")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--per-request", type=int, default=20)
    parser.add_argument("--cprofile", help="write a cProfile of the pushes (CPU by function) here")
    parser.add_argument("--html", help="also write the two profiles as HTML into this folder")
    args = parser.parse_args()
    with EmulatorProcess(config=emulator_config(["http://testserver"])) as emulator:
        database_url, drop = database_url_for_run()
        try:
            configure(emulator, database_url, tempfile.mkdtemp(prefix="profile-media-"))
            profile(args)
        finally:
            from django.db import connections

            connections.close_all()
            drop()


def profile(args):
    import redis
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    from images_app import services
    from images_app.models import Asset

    user = User.objects.create_user("designer@example.com", "designer@example.com")
    user.groups.add(Group.objects.get(name="Branding"))
    client = Client()
    client.force_login(user)
    data = [images.png(size=(8, 8), colour=(n % 256, n // 256 % 256, 99)) for n in range(args.count)]

    upload_profile = Profiler(interval=0.0005)
    started = time.perf_counter()
    with upload_profile:
        for start in range(0, args.count, args.per_request):
            files = [_file(n, data[n]) for n in range(start, min(args.count, start + args.per_request))]
            response = client.post(
                "/environments/production/upload/", {"files": files}, HTTP_ACCEPT="application/json"
            )
            assert response.status_code == 200, response.content[:300]
    upload_seconds = time.perf_counter() - started
    redis.Redis.from_url(REDIS_DB).flushdb()

    ids = list(Asset.objects.order_by("pk").values_list("pk", flat=True))
    services.push_asset(ids[0])  # the token and the HTTP session, once per process
    with CaptureQueriesContext(connection) as one_push:
        services.push_asset(ids[1])
    half = len(ids) // 2
    started, cpu = time.perf_counter(), time.process_time()
    for asset_id in ids[2:half]:
        services.push_asset(asset_id)
    plain = (time.perf_counter() - started) / (half - 2), (time.process_time() - cpu) / (half - 2)
    if args.cprofile:
        import cProfile

        with cProfile.Profile(time.process_time) as cpu_profile:
            for asset_id in ids[half : half + 50]:
                services.push_asset(asset_id)
        cpu_profile.dump_stats(args.cprofile)
        half += 50
    push_profile = Profiler(interval=0.0005)
    with push_profile:
        for asset_id in ids[half:]:
            services.push_asset(asset_id)
    assert Asset.objects.filter(status="live").count() == len(ids)

    print(upload_profile.output_text(unicode=False, color=False, show_all=False))
    print(push_profile.output_text(unicode=False, color=False, show_all=False))
    print(
        f"upload: {upload_seconds / args.count * 1000:.2f} ms per file ({args.per_request} files a request)"
    )
    print(f"push, unprofiled: {plain[0] * 1000:.2f} ms per push, {plain[1] * 1000:.2f} ms CPU, one thread")
    print(f"SQL statements of one push: {len(one_push.captured_queries)}")
    for query in one_push.captured_queries:
        print("   ", query["sql"][:150])
    if args.html:
        Path(args.html).mkdir(parents=True, exist_ok=True)
        Path(args.html, "upload.html").write_text(upload_profile.output_html())
        Path(args.html, "push.html").write_text(push_profile.output_html())


def _file(n, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(f"{n}.png", data, content_type="image/png")


if __name__ == "__main__":
    main()
