"""The Flask application that serves the whole emulator on one port."""

import uuid

from flask import Flask

from . import branding, controls, emulator_oidc, images
from .context import Emulator
from .errors import register_error_handlers
from .keys import SigningKey
from .store import Store


def _add_correlation_id(response):
    response.headers.setdefault("Correlation-Id", str(uuid.uuid4()))
    return response


def create_app(config, base_url, data_dir=None):
    """Return the emulator's Flask app for a configuration and a public base URL."""
    app = Flask(__name__)
    app.json.sort_keys = False
    app.extensions["pingone_emulator"] = Emulator(
        config=config,
        store=Store(data_dir),
        key=SigningKey.load_or_create(data_dir),
        base_url=base_url.rstrip("/"),
    )
    controls.install_faults_and_log(app)
    app.after_request(_add_correlation_id)
    register_error_handlers(app)
    emulator_oidc.init_oidc(app)
    app.register_blueprint(images.bp)
    app.register_blueprint(branding.bp)
    app.register_blueprint(controls.bp)
    return app
