"""Delivery of sealed captures to the collection centre: targets (https, s3, folder) and the uploader loop.

Heavy client libraries (requests, boto3) are imported by the target that needs them, so the booth and
the other commands start quickly.
"""

from kiosk.upload.outcome import Action, Outcome, Target, TargetError, UploadItem, classify_http
from kiosk.upload.targets import make_target

__all__ = ["Action", "Outcome", "Target", "TargetError", "UploadItem", "classify_http", "make_target"]
