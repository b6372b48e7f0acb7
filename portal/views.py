"""Sign-in, the OIDC callback and sign-out."""

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from django.contrib import auth
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from .oidc import ID_TOKEN_KEY, groups_from, oidc_client, remember_tokens, sync_user

log = logging.getLogger(__name__)

NEXT_KEY = "signin_next"

FAILURE_MESSAGES = {
    "access_denied": "Sign-in was cancelled or PingOne refused it.",
    "mismatching_state": "This sign-in link has expired or was already used.",
    "unreachable": "PingOne could not be reached. Please try again in a moment.",
    "invalid_token": "PingOne's answer could not be verified.",
}


def signin_failed(request, reason, detail=""):
    log.warning("Sign-in failed: %s %s", reason, detail)
    message = FAILURE_MESSAGES.get(reason, "Sign-in did not complete.")
    return render(
        request,
        "portal/signin_failed.html",
        {"message": message, "reason": reason},
        status=400 if reason != "unreachable" else 502,
    )


def login(request):
    next_url = request.GET.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        request.session[NEXT_KEY] = next_url
    # The callback must be on the host the browser used, or the session cookie is not sent back.
    redirect_uri = request.build_absolute_uri(reverse("auth_callback"))
    try:
        return oidc_client().authorize_redirect(request, redirect_uri)
    except (requests.RequestException, ValueError) as exc:
        return signin_failed(request, "unreachable", repr(exc))


def callback(request):
    client = oidc_client()
    try:
        token = client.authorize_access_token(request)
        if "userinfo" not in token:
            return signin_failed(request, "invalid_token", "no id_token in the token response")
        claims = token["userinfo"]
        groups = groups_from(claims, lambda: client.userinfo(token=token))
    except AuthlibBaseError as exc:
        reason = exc.error if exc.error in FAILURE_MESSAGES else "invalid_token"
        return signin_failed(request, reason, f"{exc.error}: {exc.description or ''}")
    except requests.RequestException as exc:
        return signin_failed(request, "unreachable", repr(exc))
    except (KeyError, ValueError) as exc:
        return signin_failed(request, "invalid_token", repr(exc))

    next_url = request.session.pop(NEXT_KEY, None) or "/"
    user = sync_user(claims, groups)
    # A new session key at every sign-in: login() alone keeps it when this user was signed in.
    request.session.cycle_key()
    auth.login(request, user)
    remember_tokens(request.session, token)
    log.info("Signed in user %s with groups %s", user.pk, groups)
    return redirect(next_url)


@require_http_methods(["GET", "POST"])
def logout(request):
    if request.method == "GET":
        return render(request, "portal/logout.html")
    id_token = request.session.get(ID_TOKEN_KEY)
    auth.logout(request)
    landing = request.build_absolute_uri("/")
    if id_token:
        client = oidc_client()
        try:
            # End PingOne's session too; it needs the browser (PingOne's cookie), so redirect.
            return client.logout_redirect(request, post_logout_redirect_uri=landing, id_token_hint=id_token)
        except (requests.RequestException, RuntimeError, ValueError) as exc:
            log.warning("Could not end the provider session: %r", exc)
    return redirect("images:home")
