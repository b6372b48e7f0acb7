"""/metrics: the portal's Prometheus metrics, for callers presenting PORTAL_METRICS_TOKEN.

Counts of uploads, pushes, push durations and rate-budget waits come from the shared Redis,
where every web process and worker adds to them (images_app.metrics); the assets per status and
environment and the age of the oldest queued asset are read from the database at scrape time,
in one GROUP BY. prometheus_client writes the exposition format.
"""

import hmac
import logging

from django.conf import settings
from django.db.models import Count, Min, Q
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.utils import floatToGoString

from images_app import metrics
from images_app.models import Environment, Status

log = logging.getLogger(__name__)


def _number(value):
    number = float(value)
    return int(number) if number.is_integer() else number


class PipelineCollector:
    """What every web process and worker counted, from Redis."""

    def collect(self):
        try:
            stored = metrics.snapshot()
            up = 1
        except Exception as exc:  # noqa: BLE001  (an unreadable store is a metric, not an error page)
            log.warning("Metrics could not be read from Redis (%s)", type(exc).__name__)
            stored, up = {key: {} for key in metrics.KEYS}, 0
        yield GaugeMetricFamily(
            "portal_metrics_store_up", "1 when the shared Redis holding the counts answered this scrape.", up
        )

        uploads = CounterMetricFamily(
            "portal_uploads",
            "Uploaded files by outcome (staged, duplicate, rejected; refused: the whole request) and code.",
            labels=["outcome", "code"],
        )
        for name, value in sorted(stored[metrics.UPLOADS].items()):
            uploads.add_metric(metrics.labels_of(name), _number(value))
        yield uploads

        pushes = CounterMetricFamily(
            "portal_pushes",
            "Pushes to PingOne by outcome (live, failed, retry, error) and PingOne's HTTP status "
            "(none: no answer).",
            labels=["outcome", "pingone_status"],
        )
        for name, value in sorted(stored[metrics.PUSHES].items()):
            pushes.add_metric(metrics.labels_of(name), _number(value))
        yield pushes

        yield self._durations(stored[metrics.PUSH_DURATION])

        budget = stored[metrics.RATE_BUDGET]
        yield CounterMetricFamily(
            "portal_pingone_rate_budget_waits",
            "Pushes that found no PingOne request budget left and were rescheduled.",
            value=_number(budget.get(metrics.field("waits"), 0)),
        )
        yield CounterMetricFamily(
            "portal_pingone_rate_budget_wait_seconds",
            "Seconds those pushes were told to wait for the budget.",
            value=_number(budget.get(metrics.field("seconds"), 0)),
        )

    @staticmethod
    def _durations(stored):
        family = HistogramMetricFamily(
            "portal_push_duration_seconds",
            "Time from claiming a queued asset to recording PingOne's answer, by outcome.",
            labels=["outcome"],
        )
        per_outcome = {}
        for name, value in stored.items():
            kind, outcome, *rest = metrics.labels_of(name)
            entry = per_outcome.setdefault(outcome, {"buckets": {}, "sum": 0.0})
            if kind == "bucket":
                entry["buckets"][float(rest[0])] = int(value)
            else:
                entry["sum"] = float(value)
        for outcome, entry in sorted(per_outcome.items()):
            cumulative, buckets = 0, []
            for le in metrics.PUSH_DURATION_BUCKETS:
                cumulative += entry["buckets"].get(le, 0)
                buckets.append((floatToGoString(le), cumulative))
            family.add_metric([outcome], buckets, entry["sum"])
        return family


class AssetsCollector:
    """Assets per environment and status, and how long the oldest queued one has waited: one
    GROUP BY at scrape time."""

    def collect(self):
        rows = (
            Environment.objects.order_by()
            .values("slug", "assets__status")
            .annotate(
                n=Count("assets"),
                oldest_queued=Min("assets__updated_at", filter=Q(assets__status=Status.QUEUED)),
            )
        )
        assets = GaugeMetricFamily(
            "portal_assets", "Assets by environment and status.", labels=["environment", "status"]
        )
        counts, oldest = {}, None
        for row in rows:
            environment = counts.setdefault(row["slug"], dict.fromkeys(Status.values, 0))
            if row["assets__status"]:
                environment[row["assets__status"]] = row["n"]
            if row["oldest_queued"] and (oldest is None or row["oldest_queued"] < oldest):
                oldest = row["oldest_queued"]
        for slug, by_status in sorted(counts.items()):
            for status, n in by_status.items():
                assets.add_metric([slug, status], n)
        yield assets
        age = (timezone.now() - oldest).total_seconds() if oldest else 0
        yield GaugeMetricFamily(
            "portal_oldest_queued_asset_age_seconds",
            "Seconds since the oldest queued asset last changed (queued, or a retry scheduled); 0 when none.",
            max(0.0, age),
        )


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(PipelineCollector())
REGISTRY.register(AssetsCollector())


def _refusal(request, token):
    """None when the caller presents the token; else the answer (401 without one, 403 wrong)."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not header.removeprefix("Bearer ").strip():
        response = HttpResponse("Send Authorization: Bearer <PORTAL_METRICS_TOKEN>.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode()):
        return HttpResponse("The metrics token is not right.\n", status=403)
    return None


@require_safe
def metrics_view(request):
    token = settings.PORTAL_METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off: PORTAL_METRICS_TOKEN is not set.")
    refused = _refusal(request, token)
    if refused is not None:
        refused["Content-Type"] = "text/plain; charset=utf-8"
        refused["Cache-Control"] = "no-store"
        return refused
    # The text format Prometheus asks for in Accept (OpenMetrics too); plain 0.0.4 by default.
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = HttpResponse(encode(REGISTRY), content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response
