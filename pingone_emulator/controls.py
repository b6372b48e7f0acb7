"""Test controls under /__emulator__/: configuration, groups, images, branding, faults, log, reset."""

import socket
import time

from flask import Blueprint, Response, abort, g, jsonify, request

from .branding import environment_branding
from .context import current
from .errors import error_response
from .images import api_body

CONTROL_PREFIX = "/__emulator__/"

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


@bp.route("/faults", methods=["POST"])
def add_fault():
    """Register a fault for the next `count` requests whose path matches `path`."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("path"), str):
        return error_response(400, message="A JSON object with a 'path' regex is required.")
    fault = {
        "path": body["path"],
        "method": body.get("method"),
        "status": body.get("status"),
        "retry_after": body.get("retry_after"),
        "latency_ms": body.get("latency_ms") or 0,
        "drop": bool(body.get("drop", False)),
        "count": int(body.get("count", 1)),
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


@bp.route("/reset", methods=["POST"])
def reset():
    """Forget images, faults, the log, sessions, codes, tokens and changed groups; restore branding."""
    current().store.reset()
    return Response(status=204)


def _drop_connection():
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        # Closing alone still lets werkzeug send the response; shutdown really drops it.
        sock.shutdown(socket.SHUT_RDWR)


def _apply_fault():
    if request.path.startswith(CONTROL_PREFIX):
        return None
    store = current().store
    fault = store.take_fault(request.method, request.path)
    if fault is None:
        return None
    if fault["latency_ms"]:
        time.sleep(fault["latency_ms"] / 1000)
    if fault["drop"]:
        store.log_request(request.method, request.path, None)
        g.request_logged = True
        _drop_connection()
        return Response(status=500)
    if fault["status"]:
        headers = {}
        if fault["retry_after"] is not None:
            headers["Retry-After"] = str(fault["retry_after"])
        return error_response(int(fault["status"]), headers=headers)
    return None


def _log_request(response):
    if not request.path.startswith(CONTROL_PREFIX) and not g.get("request_logged"):
        current().store.log_request(request.method, request.path, response.status_code)
    return response


def install_faults_and_log(app):
    """Run fault injection ahead of routing, and log every non-control request."""
    app.before_request_funcs.setdefault(None, []).insert(0, _apply_fault)
    app.after_request(_log_request)
