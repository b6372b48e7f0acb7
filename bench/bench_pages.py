"""Pages at 100,000 assets: server time and SQL queries per page, on Postgres.

Creates its own Postgres database (dropped at the end), migrates it, and seeds assets over four
environments (most in Production) in a mix of statuses, each with an audit event, with plain
INSERT ... SELECT statements. Then, signed in as an admin through Django's test client (no
server in between: the time is Django's handler), it times each page after a warm-up and counts
its SQL queries, first at 1,000 assets and then at the full size. The deep gallery page is
reached by following the `next` links (assets.json's: the gallery's Next links carry the same
cursor) from the first page to the last, which also checks that the walk shows every asset
once. `--quick` seeds 5,000; `--explain` prints the query plans of each page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/bench_pages.py [--quick]
"""

import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SMALL = 1_000
ROUNDS = 30
WARM_UP = 3


def database_urls():
    """The maintenance database's URL and this run's own database's."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        base = "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    name = f"portal_bench_pages_{uuid.uuid4().hex[:8]}"
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    return maintenance, urlunsplit(parts._replace(path=f"/{name}")), name


def admin_sql(maintenance, statement):
    import psycopg

    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(statement)


def set_up_django(url):
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_SECRET_KEY="bench-pages-only",
        DJANGO_DEBUG="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_ALLOWED_HOSTS="testserver",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# One statement inserts `count` assets from number `start` on: 70% in Production, 10% in each
# other environment; statuses in a fixed mix; file names from a few families, so a search
# matches a few or many.
SEED_ASSETS = """
INSERT INTO images_app_asset (
    environment_id, file, filename, sha256, format, content_type, width, height, frames, byte_size,
    status, pingone_image_id, targets, attempts, error_code, error_message, created_at, updated_at,
    uploaded_by_id, claimed_by, interruptions
)
SELECT
    CASE WHEN n %% 10 < 7 THEN %(production)s ELSE (%(others)s)[1 + n %% 3] END,
    'staging/bench/' || n || '.png',
    (ARRAY['logo', 'banner', 'icon', 'background', 'favicon', 'hero'])[1 + n %% 6] || '-' || n || '.png',
    lpad(to_hex(n), 64, '0'), 'png', 'image/png', 64, 64, 1, 1000,
    s.status,
    CASE WHEN s.status IN ('live', 'deleted') THEN md5(n::text)::uuid::text ELSE '' END,
    CASE WHEN s.status = 'live' THEN jsonb_build_object(
        'original', jsonb_build_object('href', 'https://uploads.example/' || n || '.png')
    ) ELSE '{}'::jsonb END,
    0,
    CASE WHEN s.status = 'failed' THEN 'INVALID_DATA' ELSE '' END,
    CASE WHEN s.status IN ('failed', 'rejected') THEN 'no' ELSE '' END,
    now() - (%(end)s - n) * interval '1 second',
    now(),
    CASE WHEN n %% 2 = 0 THEN %(designer)s ELSE %(admin)s END,
    '', 0
FROM generate_series(%(start)s, %(end)s - 1) AS n,
LATERAL (SELECT CASE
    WHEN n %% 100 < 60 THEN 'live' WHEN n %% 100 < 70 THEN 'awaiting_review'
    WHEN n %% 100 < 75 THEN 'queued' WHEN n %% 100 < 76 THEN 'pushing'
    WHEN n %% 100 < 84 THEN 'failed' WHEN n %% 100 < 90 THEN 'rejected' ELSE 'deleted' END AS status) AS s
"""

SEED_EVENTS = """
INSERT INTO images_app_auditevent (
    asset_id, environment_id, actor_id, actor_label, from_status, to_status, note, correlation_id, created_at
)
SELECT id, environment_id, uploaded_by_id, 'someone@example.com', '', status, '', '', created_at
FROM images_app_asset WHERE id > %(after)s
"""


def seed(people, start, end):
    """Assets number `start` to `end` - 1, an audit event each, then the counters recounted and
    the planner's statistics and visibility map refreshed (as autovacuum would after a bulk load)."""
    from django.core.management import call_command
    from django.db import connection

    from images_app.models import Environment

    environments = list(Environment.objects.order_by("slug").values_list("slug", "pk"))
    ids = dict(environments)
    others = [pk for slug, pk in environments if slug != "production"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM images_app_asset")
        after = cursor.fetchone()[0]
        cursor.execute(
            SEED_ASSETS,
            {
                "production": ids["production"],
                "others": others,
                "start": start,
                "end": end,
                "designer": people["designer"].pk,
                "admin": people["admin"].pk,
            },
        )
        cursor.execute(SEED_EVENTS, {"after": after})
    call_command("rebuild_status_counts", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def make_people_and_environments():
    from django.contrib.auth.models import Group, User

    from images_app.models import Environment

    branding = Group.objects.create(name="Branding")
    admins = Group.objects.create(name="Image Portal Admins")
    for slug in ["production", "staging", "development", "test"]:
        environment = Environment.objects.create(
            name=slug.title(), slug=slug, pingone_environment_id=str(uuid.uuid4())
        )
        environment.access_groups.add(branding)
    admin = User.objects.create(username="sub-admin", email="admin@example.com", is_staff=True)
    admin.groups.add(admins)
    designer = User.objects.create(username="sub-designer", email="designer@example.com")
    designer.groups.add(branding)
    return {"admin": admin, "designer": designer}


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def walk_to_the_end(client, url):
    """Follow `next` from assets.json's first page to its last: that page's gallery URL (the
    same cursor serves the HTML page), and how many pages and assets were seen."""
    pages, cards, seen = 0, 0, set()
    while True:
        answer = client.get(url).json()
        ids = [asset["id"] for asset in answer["assets"]]
        cards += len(ids)
        seen.update(ids)
        pages += 1
        if answer["next"] is None:
            return url.replace("assets.json", ""), pages, cards, len(seen)
        url = answer["next"].removeprefix("http://testserver")


def pages_to_measure(admin_client, designer_client, deep_url, last_page):
    """(label, client, URL, headers) of every page measured."""
    gallery = "/environments/production/"
    return [
        ("home", admin_client, "/", {}),
        ("gallery page 1", admin_client, gallery, {}),
        ("gallery last page (next links)", admin_client, deep_url, {}),
        (f"gallery ?page={last_page} (offset)", admin_client, f"{gallery}?page={last_page}", {}),
        ("gallery ?sort=name", admin_client, f"{gallery}?sort=name", {}),
        ("gallery ?sort=oldest", admin_client, f"{gallery}?sort=oldest", {}),
        ("gallery ?q=logo-42 (few)", admin_client, f"{gallery}?q=logo-42", {}),
        ("gallery ?q=banner (many)", admin_client, f"{gallery}?q=banner", {}),
        ("gallery ?status=failed", admin_client, f"{gallery}?status=failed", {}),
        ("gallery ?status=live&sort=name", admin_client, f"{gallery}?status=live&sort=name", {}),
        ("assets.json", admin_client, f"{gallery}assets.json", {}),
        ("review queue", admin_client, "/review/", {}),
        ("audit page", admin_client, "/audit/", {}),
        ("my uploads (designer)", designer_client, "/my-uploads/", {}),
    ]


def measure(client, url, headers, rounds):
    """p50 and p95 in ms of the handler's time for `url`, after a warm-up, and its SQL queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARM_UP):
        assert client.get(url, **headers).status_code == 200, url
    times, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as captured:
        client.get(url, **headers)
    return percentiles(times) + percentiles(cpu) + (len(captured),)


def percentiles(values):
    """p50 and p95 (nearest rank)."""
    values = sorted(values)
    return statistics.median(values), values[max(0, math.ceil(len(values) * 0.95) - 1)]


def explain(client, url, headers):
    """EXPLAIN ANALYZE of each query the page makes on the assets or the audit trail: the plan's
    first lines (its shape) and the execution time the database reports."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, **headers)
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.startswith("SELECT") or not re.search(r"images_app_(asset|auditevent|statuscount)", sql):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}")
            plan = [row[0] for row in cursor.fetchall()]
        print(f"    {sql[:150]}")
        for line in plan[:6] + plan[-1:]:
            print(f"      {line}")


def run_all(people, rounds, *, timed, explain_plans=False):
    admin_client, designer_client = client_for(people["admin"]), client_for(people["designer"])
    deep_url, pages, cards, distinct = walk_to_the_end(admin_client, "/environments/production/assets.json")
    results = {}
    for label, client, url, headers in pages_to_measure(admin_client, designer_client, deep_url, pages):
        key = re.sub(r"\?page=\d+", "?page=N", label)
        results[key] = measure(client, url, headers, rounds if timed else 1)
        if explain_plans:
            print(f"\n== {label}: {url}")
            explain(client, url, headers)
    return results, (pages, cards, distinct)


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="seed 5,000 assets instead of 100,000")
    parser.add_argument("--assets", type=int, help="how many assets to seed (default 100,000)")
    parser.add_argument("--explain", action="store_true", help="print each page's query plans")
    args = parser.parse_args()
    total = args.assets or (5_000 if args.quick else 100_000)

    maintenance, url, name = database_urls()
    admin_sql(maintenance, f'CREATE DATABASE "{name}"')
    try:
        started = time.monotonic()
        set_up_django(url)
        people = make_people_and_environments()
        seed(people, 0, SMALL)
        small, _ = run_all(people, ROUNDS, timed=False)
        seeded = time.monotonic()
        seed(people, SMALL, total)
        seed_seconds = time.monotonic() - seeded
        load = uptime()
        full, (pages, cards, distinct) = run_all(people, ROUNDS, timed=True, explain_plans=args.explain)
        from django.db import connections

        connections.close_all()
    finally:
        admin_sql(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    production = round(total * 0.7)
    print(f"\nPages at {total:,} assets (Postgres; {ROUNDS} timed requests per page after {WARM_UP} warm-up)")
    print(f"seeded {total - SMALL:,} assets and events in {seed_seconds:.1f} s; load: {load}")
    print(
        f"next links from page 1 to the last: {pages} pages, {cards:,} cards, {distinct:,} distinct "
        f"(Production holds about {production:,})"
    )
    width = max(len(k) for k in full) + 2
    print("p50/p95: the handler's time; cpu: this process's CPU time in it (the database's is apart)")
    header = ["p50 ms", "p95 ms", "cpu p50", "cpu p95", "queries", f"at {SMALL:,}"]
    print(f"{'page':<{width}}" + "".join(f"{h:>9}" for h in header))
    worst = 0.0
    for key, (p50, p95, cpu50, cpu95, queries) in full.items():
        worst = max(worst, p95)
        figures = f"{p50:>9.1f}{p95:>9.1f}{cpu50:>9.1f}{cpu95:>9.1f}{queries:>9}{small[key][-1]:>9}"
        print(f"{key:<{width}}{figures}")
    same = all(full[k][-1] == small[k][-1] for k in full)
    print(f"worst p95 {worst:.1f} ms (goal: under 100); query counts the same at {SMALL:,}: {same}")
    print(f"total {time.monotonic() - started:.0f} s")
    if cards != distinct:
        sys.exit("following Next showed an asset twice")


if __name__ == "__main__":
    main()
