"""Test controls under /__emulator__/: config, groups, images, branding, faults, log, settings, reset."""

import re
import socket
import time

from flask import Blueprint, Response, abort, g, jsonify, request

from .branding import environment_branding
from .context import current
from .errors import error_response
from .images import api_body
from .limits import now, rate_limit_problem

CONTROL_PREFIX = "/__emulator__/"
# The management APIs (Images, branding); never OIDC, the hosted image bytes or the controls.
RATE_LIMITED_PREFIX = "/v1/"

bp = Blueprint("controls", __name__, url_prefix="/__emulator__")


@bp.route("/config")
def config():
    """The active configuration: environments, applications, users (current groups), settings."""
    return jsonify(current().configuration())


@bp.route("/users/<username>", methods=["POST"])
def set_user_groups(username):
    """Change a user's groups for every token and userinfo answer from now on, until a reset."""
    emulator = current()
    if emulator.config.user(username=username) is None:
        return error_response(404, message=f"No user {username!r} is configured.")
    body = request.get_json(silent=True)
    groups = body.get("groups") if isinstance(body, dict) else None
    if not isinstance(groups, list) or not all(isinstance(group, str) for group in groups):
        return error_response(400, message="A JSON object with a 'groups' list of strings is required.")
    emulator.store.set_groups(username, groups)
    user = next(u for u in emulator.configuration()["users"] if u["username"] == username)
    return jsonify(user)


@bp.route("/environments/<env_id>/images")
def stored_images(env_id):
    """Every image stored in an environment, with what the client actually sent."""
    records = current().store.images_in(env_id)
    return jsonify(
        [
            api_body(r)
            | {
                "received_sha256": r["received_sha256"],
                "received_bytes": r["received_bytes"],
                "received_content_type": r["received_content_type"],
                "received_content_disposition": r.get("received_content_disposition"),
            }
            for r in records
        ]
    )


@bp.route("/environments/<env_id>/images/<image_id>/received")
def received_bytes(env_id, image_id):
    """The bytes of an image exactly as received."""
    store = current().store
    record = store.image(env_id, image_id)
    data = store.get_blob(f"received/{image_id}") if record else None
    if data is None:
        abort(404)
    return Response(data, mimetype=record["received_content_type"] or "application/octet-stream")


@bp.route("/environments/<env_id>/branding")
def branding(env_id):
    """An environment's branding settings, themes and applications, as the API shows them."""
    if current().config.environment(env_id) is None:
        abort(404)
    return jsonify(environment_branding(env_id))


def _probability_problem(value):
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        return "probability must be a number greater than 0 and at most 1."
    return None


def _is_number(value):
    return not isinstance(value, bool) and isinstance(value, int | float)


def _is_whole(value):
    return not isinstance(value, bool) and isinstance(value, int)


def _fault_problem(body):
    """What is wrong with a fault's fields, in a sentence; None when nothing is."""
    try:
        re.compile(body["path"])
    except re.error as exc:
        return f"path must be a regular expression: {exc}."
    count = body.get("count", 1)
    if not _is_whole(count) or count < 1:
        return "count must be a whole number of at least 1."
    status = body.get("status")
    if status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599
    ):
        return "status must be an HTTP status code (100 to 599)."
    for name in ("latency_ms", "retry_after"):
        value = body.get(name)
        if value is not None and (not _is_number(value) or value < 0):
            return f"{name} must be a number of at least 0."
    return None


@bp.route("/faults", methods=["POST"])
def add_fault():
    """Register a fault for `count` of the requests whose path matches `path`, each hit with `probability`."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("path"), str):
        return error_response(400, message="A JSON object with a 'path' regex is required.")
    probability = body.get("probability", 1)
    problem = _probability_problem(probability) or _fault_problem(body)
    if problem:
        return error_response(400, message=problem)
    fault = {
        "path": body["path"],
        "method": body.get("method"),
        "status": body.get("status"),
        "retry_after": body.get("retry_after"),
        "latency_ms": body.get("latency_ms") or 0,
        "drop": bool(body.get("drop", False)),
        "count": int(body.get("count", 1)),
        "probability": probability,
    }
    fault["remaining"] = fault["count"]
    current().store.add_fault(fault)
    return jsonify(fault), 201


@bp.route("/faults", methods=["DELETE"])
def clear_faults():
    """Forget every registered fault."""
    current().store.clear_faults()
    return Response(status=204)


@bp.route("/requests")
def requests_log():
    """Every request served outside /__emulator__/, oldest first."""
    return jsonify(current().store.requests())


# Settings a test may change at run time; the others come from the configuration only.
RUN_TIME_SETTINGS = {"rate_limit_per_second": rate_limit_problem}


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """The settings in force; a POST changes rate_limit_per_second (null lifts it) until the next reset.

    A reset forgets what was changed here: the configuration file's values come back.
    """
    emulator = current()
    if request.method == "POST":
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error_response(400, message="A JSON object of settings is required.")
        unknown = sorted(set(body) - set(RUN_TIME_SETTINGS))
        if unknown:
            return error_response(400, message=f"These settings cannot change at run time: {unknown}.")
        problems = [problem for name, value in body.items() if (problem := RUN_TIME_SETTINGS[name](value))]
        if problems:
            return error_response(400, message=" ".join(problems))
        for name, value in body.items():
            emulator.store.override_setting(name, None if value is None else int(value))
    return jsonify(emulator.settings)


@bp.route("/reset", methods=["POST"])
def reset():
    """Forget images, faults, the log, sessions, codes, tokens, changed groups and settings changed here.

    Branding goes back to its defaults and the settings to the configuration's; keys stay.
    """
    current().store.reset()
    return Response(status=204)


def _drop_connection():
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        # Closing alone still lets werkzeug send the response; shutdown really drops it.
        sock.shutdown(socket.SHUT_RDWR)


def _rate_limit(emulator):
    limit = emulator.settings["rate_limit_per_second"]
    if limit is None or not request.path.startswith(RATE_LIMITED_PREFIX):
        g.arrival = now()
        return None
    # The log's time of an admitted request is the very moment the window admitted it.
    admitted, retry_after, g.arrival = emulator.store.window.admit(limit)
    if admitted:
        return None
    return error_response(429, headers={"Retry-After": str(retry_after)})


def _apply_fault(store):
    fault = store.take_fault(request.method, request.path)
    if fault is None:
        return None
    if fault["latency_ms"]:
        time.sleep(fault["latency_ms"] / 1000)
    if fault["drop"]:
        store.log_request(request.method, request.path, None, g.arrival)
        g.request_logged = True
        _drop_connection()
        return Response(status=500)
    if fault["status"]:
        headers = {}
        if fault["retry_after"] is not None:
            headers["Retry-After"] = str(fault["retry_after"])
        return error_response(int(fault["status"]), headers=headers)
    return None


def _limit_and_faults():
    # Like PingOne's gateway, the limit comes first: a refused request uses up no fault.
    if request.path.startswith(CONTROL_PREFIX):
        return None
    emulator = current()
    refused = _rate_limit(emulator)
    return refused if refused is not None else _apply_fault(emulator.store)


def _log_request(response):
    if not request.path.startswith(CONTROL_PREFIX) and not g.get("request_logged"):
        arrival = g.get("arrival") or now()
        answered = response.status_code, arrival, response.headers.get("Correlation-Id")
        current().store.log_request(request.method, request.path, *answered)
    return response


def install_faults_and_log(app):
    """Run the rate limit and fault injection ahead of routing, and log every non-control request."""
    app.before_request_funcs.setdefault(None, []).insert(0, _limit_and_faults)
    app.after_request(_log_request)
