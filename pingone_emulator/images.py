"""The Images API under /v1/environments/{envID}/images, and the hosted image bytes."""

import hashlib
import time
import uuid

from flask import Blueprint, Response, abort, jsonify, request

from .context import current
from .emulator_imaging import CONTENT_TYPES, InvalidImageData, decode
from .errors import error_response, invalid_token
from .store import utc_timestamp

ACCEPTED_CONTENT_TYPES = {"image/png", "image/jpeg", "image/jpg", "image/gif"}

bp = Blueprint("images", __name__)


def api_body(record):
    """Return the JSON PingOne answers for an image record."""
    base = current().base_url
    env_id = record["environment_id"]
    return {
        "_links": {
            "self": {"href": f"{base}/v1/environments/{env_id}/images/{record['id']}"},
            "environment": {"href": f"{base}/v1/environments/{env_id}"},
        },
        "id": record["id"],
        "targets": {
            "original": {
                "id": "original",
                "width": record["width"],
                "height": record["height"],
                "type": record["type"],
                "href": f"{base}/uploads/environments/{env_id}/images/{record['file']}",
            }
        },
        "environment": {"id": env_id},
        "createdAt": record["created_at"],
    }


def worker_token_problem():
    """Return an error response unless the request carries a live worker token."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return invalid_token("The request is missing a Bearer access token.")
    record = current().store.token(value.strip())
    if record is None:
        return invalid_token("The access token is not valid.")
    if record["grant_type"] != "client_credentials" or record["client_type"] != "worker":
        return invalid_token("The access token was not issued to a worker application.")
    if record["expires_at"] < time.time():
        return invalid_token("The access token has expired.")
    return None


def _require_environment(env_id):
    if current().config.environment(env_id) is None:
        abort(404)


def _invalid_data(message, status=400, code=None, target="file", detail_code="INVALID_VALUE"):
    return error_response(
        status,
        code=code,
        details=[{"code": detail_code, "target": target, "message": message}],
    )


def _unsupported(message):
    status = current().settings["unsupported_type_status"]
    return _invalid_data(message, status=status, code="INVALID_REQUEST" if status == 415 else None)


@bp.route("/v1/environments/<env_id>/images", methods=["POST"])
def create_image(env_id):
    """Create an image from the raw request body."""
    problem = worker_token_problem()
    if problem:
        return problem
    _require_environment(env_id)
    emulator = current()
    limit = emulator.settings["image_max_bytes"]
    data = request.get_data(cache=False)
    if not data:
        return _invalid_data("The request body is empty.", detail_code="EMPTY_VALUE")
    if len(data) > limit:
        return error_response(
            400,
            details=[
                {
                    "code": "SIZE_LIMIT_EXCEEDED",
                    "target": "file",
                    "message": f"The image must be no larger than {limit} bytes.",
                    "innerError": {"maximumValue": limit},
                }
            ],
        )
    content_type = (request.content_type or "").split(";", 1)[0].strip().lower()
    if content_type not in ACCEPTED_CONTENT_TYPES:
        return _unsupported("Content-Type must be image/png, image/jpeg or image/gif.")
    try:
        image = decode(data, emulator.settings["store_format"])
    except InvalidImageData as exc:
        return _unsupported(str(exc))

    image_id = str(uuid.uuid4())
    filename = f"{image_id}_{uuid.uuid4()}_original.{image.type}"
    emulator.store.put_blob(f"received/{image_id}", data)
    emulator.store.put_blob(f"uploads/{env_id}/{filename}", image.stored)
    record = {
        "id": image_id,
        "environment_id": env_id,
        "width": image.width,
        "height": image.height,
        "type": image.type,
        "file": filename,
        "created_at": utc_timestamp(),
        "received_sha256": hashlib.sha256(data).hexdigest(),
        "received_bytes": len(data),
        "received_content_type": request.content_type,
        "received_content_disposition": request.headers.get("Content-Disposition"),
    }
    emulator.store.add_image(record)
    return jsonify(api_body(record)), 201


@bp.route("/v1/environments/<env_id>/images/<image_id>", methods=["GET", "DELETE"])
def image_detail(env_id, image_id):
    """Read an image's metadata, or delete the image."""
    problem = worker_token_problem()
    if problem:
        return problem
    _require_environment(env_id)
    store = current().store
    if request.method == "DELETE":
        if not store.delete_image(env_id, image_id):
            abort(404)
        return Response(status=204)
    record = store.image(env_id, image_id)
    if record is None:
        abort(404)
    return jsonify(api_body(record))


@bp.route("/uploads/environments/<env_id>/images/<filename>")
def uploaded_file(env_id, filename):
    """Serve the stored bytes of an image at its href."""
    store = current().store
    record = store.image_by_file(env_id, filename)
    data = store.get_blob(f"uploads/{env_id}/{filename}") if record else None
    if data is None:
        abort(404)
    return Response(data, mimetype=CONTENT_TYPES[record["type"]])
