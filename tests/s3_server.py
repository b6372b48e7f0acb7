"""An S3-compatible server (moto's server mode) as a real subprocess, for tests that stage to S3.

Usage::

    with S3Server() as s3:                       # free port
        s3.create_bucket("portal-staging")
        s3.env("portal-staging")                 # STORAGE_BACKEND=s3 and the AWS_* variables
        s3.keys("portal-staging")                # the object keys in the bucket
        s3.client().get_object(...)              # boto3, signed with the test keys
        s3.object_url("portal-staging", key)     # the plain (unsigned) URL of an object
        s3.stop(); s3.start()                    # an outage, and back (it forgets its buckets)
"""

import subprocess
import sys
import tempfile
import time

import boto3
import requests

from tests.emulator_support import REPO_ROOT, EmulatorProcess, free_port

# moto accepts any keys; the portal signs every request with these, as it would with real ones.
ACCESS_KEY = "portal-test-access-key"
SECRET_KEY = "portal-test-secret-key"
REGION = "us-east-1"


class S3Server:
    """One running `python -m moto.server` process, serving S3 over HTTP on 127.0.0.1."""

    # Its output and its stop are the emulator process's.
    _config_file = None
    output = EmulatorProcess.output
    stop = EmulatorProcess.stop

    def __init__(self, port=None):
        self.port = port or free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self._log = None

    def start(self, wait=True):
        """Spawn the server; with `wait`, return once it answers (else call `wait` later)."""
        self._log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            cwd=REPO_ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        return self.wait() if wait else self

    def wait(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                requests.get(f"{self.endpoint_url}/moto-api/", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        output = self.output()
        self.stop()
        raise RuntimeError(f"the S3 server did not start on {self.endpoint_url}:\n{output}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def create_bucket(self, name):
        self.client().create_bucket(Bucket=name)
        return name

    def delete_bucket(self, name):
        """Empty the bucket and remove it: the next write to it is refused (NoSuchBucket)."""
        client = self.client()
        for key in self.keys(name):
            client.delete_object(Bucket=name, Key=key)
        client.delete_bucket(Bucket=name)

    def keys(self, bucket):
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def object_url(self, bucket, key):
        return f"{self.endpoint_url}/{bucket}/{key}"

    def env(self, bucket):
        """The portal's environment for staging to `bucket` on this server."""
        return {
            "STORAGE_BACKEND": "s3",
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }
