"""Thread-safe emulator state, written to the data dir at every change when there is one."""

import bisect
import copy
import json
import os
import random
import re
import tempfile
import threading
from datetime import UTC, datetime

from .limits import SlidingWindow


def utc_timestamp(seconds=None):
    """Return a UTC time (now by default) the way PingOne writes it: 2020-02-27T19:49:36.457Z."""
    moment = datetime.now(UTC) if seconds is None else datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def write_atomically(path, data):
    """Write bytes to path through a temporary file and os.replace."""
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class Store:
    """Images, branding, tokens, changed groups, codes, sessions, faults and the log behind one lock.

    Images (metadata and bytes), branding, tokens and changed groups persist under data_dir;
    codes, sessions, faults, the request log, settings changed at run time and the rate
    limit's window live in memory only.
    """

    def __init__(self, data_dir=None):
        self.data_dir = data_dir
        self.lock = threading.RLock()
        self.images = {}
        self.blobs = {}
        self.branding_states = {}
        self.tokens = {}
        self.refresh_index = {}
        self.user_groups = {}
        self.codes = {}
        self.sessions = {}
        self.faults = []
        self.request_log = []  # (arrival time, entry), in order of arrival
        self.setting_overrides = {}
        self.window = SlidingWindow()
        if data_dir:
            os.makedirs(data_dir, exist_ok=True)
            self.images = self._read_json("images.json", {})
            self.branding_states = self._read_json("branding.json", {})
            self.tokens = self._read_json("tokens.json", {})
            self.refresh_index = {
                t["refresh_token"]: key for key, t in self.tokens.items() if t.get("refresh_token")
            }
            self.user_groups = self._read_json("user_groups.json", {})

    # persistence

    def _read_json(self, name, default):
        path = os.path.join(self.data_dir, name)
        if not os.path.exists(path):
            return default
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def _write_json(self, name, value):
        if self.data_dir:
            write_atomically(os.path.join(self.data_dir, name), json.dumps(value).encode())

    def _blob_path(self, key):
        return os.path.join(self.data_dir, "blobs", *key.split("/"))

    def put_blob(self, key, data):
        """Keep bytes under key ("received/<id>" or "uploads/<env>/<file>")."""
        if self.data_dir:
            write_atomically(self._blob_path(key), data)
        else:
            with self.lock:
                self.blobs[key] = data

    def get_blob(self, key):
        """Return the bytes under key, or None."""
        if not self.data_dir:
            with self.lock:
                return self.blobs.get(key)
        try:
            with open(self._blob_path(key), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def _drop_blob(self, key):
        if self.data_dir:
            try:
                os.unlink(self._blob_path(key))
            except FileNotFoundError:
                pass
        else:
            self.blobs.pop(key, None)

    # images

    def add_image(self, record):
        """Record an image whose blobs were already put."""
        with self.lock:
            self.images[record["id"]] = record
            self._write_json("images.json", self.images)

    def image(self, env_id, image_id):
        """Return the image record in this environment, or None."""
        with self.lock:
            record = self.images.get(image_id)
            return dict(record) if record and record["environment_id"] == env_id else None

    def image_by_file(self, env_id, filename):
        """Return the image record whose stored file has this name, or None."""
        with self.lock:
            for record in self.images.values():
                if record["environment_id"] == env_id and record["file"] == filename:
                    return dict(record)
        return None

    def images_in(self, env_id):
        """Return the image records of one environment, oldest first."""
        with self.lock:
            found = [dict(r) for r in self.images.values() if r["environment_id"] == env_id]
        return sorted(found, key=lambda r: r["created_at"])

    def delete_image(self, env_id, image_id):
        """Forget an image and its bytes; return False if there was none."""
        with self.lock:
            record = self.images.get(image_id)
            if not record or record["environment_id"] != env_id:
                return False
            del self.images[image_id]
            self._write_json("images.json", self.images)
            self._drop_blob(f"received/{image_id}")
            self._drop_blob(f"uploads/{env_id}/{record['file']}")
            return True

    # branding: per environment, absent until first changed (its defaults until then)

    def branding(self, env_id):
        """Return a copy of an environment's branding state, or None if it was never changed."""
        with self.lock:
            state = self.branding_states.get(env_id)
            return copy.deepcopy(state) if state is not None else None

    def change_branding(self, env_id, default, change):
        """Run change(state) on a copy of an environment's branding state and keep it; return the result."""
        # default() builds the state never changed yet; if change raises, nothing is kept.
        with self.lock:
            state = self.branding_states.get(env_id)
            state = copy.deepcopy(state) if state is not None else default()
            result = change(state)
            self.branding_states[env_id] = state
            self._write_json("branding.json", self.branding_states)
            return result

    # tokens

    def add_token(self, record):
        """Remember an issued access token (and its refresh token, if any)."""
        with self.lock:
            self.tokens[record["access_token"]] = record
            if record.get("refresh_token"):
                self.refresh_index[record["refresh_token"]] = record["access_token"]
            self._write_json("tokens.json", self.tokens)

    def token(self, access_token):
        """Return the record of an issued access token, or None."""
        with self.lock:
            record = self.tokens.get(access_token)
            return dict(record) if record else None

    def token_by_refresh(self, refresh_token):
        """Return the record whose refresh token this is, or None."""
        with self.lock:
            key = self.refresh_index.get(refresh_token)
            return dict(self.tokens[key]) if key else None

    def revoke_refresh(self, refresh_token):
        """Make a refresh token unusable (rotation)."""
        with self.lock:
            key = self.refresh_index.pop(refresh_token, None)
            if key:
                self.tokens[key]["refresh_revoked"] = True
                self._write_json("tokens.json", self.tokens)

    # users' groups, as changed through the test controls

    def set_groups(self, username, groups):
        """Give a user these groups instead of their configured ones, until the next reset."""
        with self.lock:
            self.user_groups[username] = list(groups)
            self._write_json("user_groups.json", self.user_groups)

    def groups_of(self, username):
        """Return a user's changed groups, or None if they still have their configured ones."""
        with self.lock:
            groups = self.user_groups.get(username)
            return list(groups) if groups is not None else None

    # authorization codes and sign-in sessions (memory only)

    def add_code(self, code, record):
        """Remember an authorization code."""
        with self.lock:
            self.codes[code] = record

    def take_code(self, code):
        """Return an authorization code's record and forget it: a code is good for one try."""
        with self.lock:
            return self.codes.pop(code, None)

    def add_session(self, sid, record):
        """Remember a browser sign-in session."""
        with self.lock:
            self.sessions[sid] = record

    def session(self, sid):
        """Return a sign-in session, or None."""
        with self.lock:
            return self.sessions.get(sid)

    def end_session(self, sid):
        """Forget a sign-in session."""
        with self.lock:
            self.sessions.pop(sid, None)

    # faults and the request log

    def add_fault(self, fault):
        """Register a fault for the next matching requests."""
        with self.lock:
            self.faults.append(fault)

    def clear_faults(self):
        """Forget every fault."""
        with self.lock:
            self.faults.clear()

    def take_fault(self, method, path):
        """Consume one use of the first fault that matches this request and hits it, and return it.

        A matching fault hits with its probability; one that does not leaves the request to
        the next matching fault, and keeps its remaining count.
        """
        with self.lock:
            for fault in self.faults:
                if fault.get("method") and fault["method"].upper() != method:
                    continue
                if not re.search(fault["path"], path):
                    continue
                if random.random() >= fault.get("probability", 1):
                    continue
                fault["remaining"] -= 1
                if fault["remaining"] <= 0:
                    self.faults.remove(fault)
                return dict(fault)
        return None

    def log_request(self, method, path, status, at, correlation_id=None):
        """Add one entry to the request log: a request that arrived at `at` (epoch seconds),
        with the Correlation-Id it was answered with (None for a dropped connection)."""
        entry = {
            "method": method,
            "path": path,
            "status": status,
            "time": utc_timestamp(at),
            "correlation_id": correlation_id,
        }
        with self.lock:
            # Entries are logged when answered; slow requests must not break arrival order.
            bisect.insort(self.request_log, (at, entry), key=lambda item: item[0])

    def requests(self):
        """Return the request log, in order of arrival."""
        with self.lock:
            return [dict(entry) for _, entry in self.request_log]

    # settings changed at run time, and the rate limit's window

    def override_setting(self, name, value):
        """Give a setting this value instead of its configured one, until the next reset."""
        with self.lock:
            self.setting_overrides[name] = value

    def overridden_settings(self):
        """Return the settings changed at run time."""
        with self.lock:
            return dict(self.setting_overrides)

    def reset(self):
        """Forget images, branding, tokens, groups, codes, sessions, faults, the log, changed settings."""
        with self.lock:
            for record in list(self.images.values()):
                self.delete_image(record["environment_id"], record["id"])
            self.images.clear()
            self.blobs.clear()
            self.branding_states.clear()
            self.tokens.clear()
            self.refresh_index.clear()
            self.user_groups.clear()
            self.codes.clear()
            self.sessions.clear()
            self.faults.clear()
            self.request_log.clear()
            self.setting_overrides.clear()
            self.window.clear()
            self._write_json("images.json", self.images)
            self._write_json("branding.json", self.branding_states)
            self._write_json("tokens.json", self.tokens)
            self._write_json("user_groups.json", self.user_groups)
