"""The admins' review queue across environments, with bulk approve and reject."""

import functools

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode

from .. import services
from ..forms import ReviewForm
from ..models import REVIEW_SORT, Asset, Environment, Status, StatusCount
from ..pagination import BadCursor, Paginator
from ..responses import error_response, json_error, wants_json
from .access import admin_required

PAGE_SIZE = 50


@admin_required
def review(request):
    if request.method == "POST":
        return decide(request)
    environments = list(Environment.objects.all())
    chosen = next((e for e in environments if e.slug == request.GET.get("environment")), None)
    waiting = Asset.objects.awaiting_review().select_related("environment", "uploaded_by")
    if chosen:
        waiting = waiting.for_environment(chosen)
    # How many wait comes from the kept counters; a page reads only its own rows.
    count = functools.partial(StatusCount.objects.total, Status.AWAITING_REVIEW, chosen)
    paginator = Paginator(waiting, REVIEW_SORT, PAGE_SIZE, count=count)
    try:
        page = paginator.get_page(
            request.GET.get("page"), after=request.GET.get("after"), before=request.GET.get("before")
        )
    except BadCursor as error:
        return error_response(request, 400, "bad_page", str(error))
    return render(
        request,
        "images_app/review.html",
        {"page": page, "environments": environments, "chosen": chosen, "form": ReviewForm()},
    )


def decide(request):
    """One POST approves or rejects the selected assets, each on its own conditional UPDATE."""
    form = ReviewForm(request.POST)
    back = redirect_back(request)
    if not form.is_valid():
        error = next(iter(form.errors.as_data().values()))[0]
        if wants_json(request):
            return json_error(error.code or "invalid", error.messages[0], 400)
        messages.error(request, error.messages[0])
        return back
    action = form.cleaned_data["action"]
    outcome = services.review_many(
        form.cleaned_data["assets"], request.user, action, form.cleaned_data["reason"]
    )
    if wants_json(request):
        return JsonResponse(
            {"action": action, "done": [a.pk for a in outcome.done], "skipped": outcome.skipped}
        )
    if outcome.done:
        verb = "Approved" if action == "approve" else "Rejected"
        messages.success(
            request, f"{verb} {len(outcome.done)}: {', '.join(a.filename for a in outcome.done)}."
        )
    if outcome.skipped:
        messages.warning(
            request,
            f"Skipped {len(outcome.skipped)} that no longer wait for review "
            "(another admin handled them, or they were removed).",
        )
    return back


def redirect_back(request):
    environment = request.POST.get("environment", "")
    query = f"?{urlencode({'environment': environment})}" if environment else ""
    return redirect(f"{request.path}{query}")
