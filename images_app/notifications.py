"""Telling people by email: admins when uploads wait for review, uploaders when theirs fail or are refused."""


def review_waiting(asset):
    """An asset started waiting for review."""


def asset_rejected(asset):
    """An admin rejected the asset."""


def asset_failed(asset):
    """The asset's push failed for good."""
