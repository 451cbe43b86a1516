"""Delivery to S3 or any S3-compatible store: ``{prefix}/{kiosk_id}/{date}/{capture_id}.xce``.

The store checks the body against ``ChecksumSHA256``, so a corrupted transfer is refused rather than
kept. Before writing, the object is looked up: the same sha256 already there counts as delivered (a
retry after a lost answer), a different one is a conflict for staff. Only one uploader runs per booth
and capture ids are unique, so the look-up and the write do not race.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from kiosk.storage.sealing import SUFFIX
from kiosk.upload.outcome import Action, Outcome, TargetError, UploadItem

log = logging.getLogger(__name__)

_SLOW_CODES = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "NoSuchBucket",
    "AllAccessDisabled",
    "AccountProblem",
    "InvalidBucketName",
    "ExpiredToken",
    "InvalidToken",
    "PermanentRedirect",
    "AuthorizationHeaderMalformed",
}
_QUARANTINE_CODES = {"EntityTooLarge", "KeyTooLongError"}
_RETRY_CODES = {
    "BadDigest",
    "InvalidDigest",
    "RequestTimeout",
    "SlowDown",
    "ServiceUnavailable",
    "InternalError",
    "RequestTimeTooSkewed",
    "XAmzContentSHA256Mismatch",
}


# boto3 is the optional "s3" extra: a booth that sends elsewhere never installs it.
BOTO3_MISSING = (
    "upload.target: s3:// needs boto3, which is not installed here "
    "(on the booth: sudo systemd/install.sh --s3; elsewhere: pip install 'kiosk[s3]')"
)


def object_key(prefix: str, item: UploadItem) -> str:
    kiosk = item.kiosk_id.replace("/", "_") or "unknown"
    parts = [prefix.strip("/"), kiosk, item.day, f"{item.capture_id}{SUFFIX}"]
    return "/".join(p for p in parts if p)


class S3Target:
    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str = "",
        region: str = "",
        access_key_id: str = "",
        secret_access_key: str = "",
        timeout_s: float = 30.0,
        verify: bool | str = True,
        client: Any = None,
    ) -> None:
        if not bucket:
            raise TargetError("upload.target: s3:// needs a bucket name, e.g. s3://photos/kiosks")
        if endpoint_url:  # the same rule as an http target: the S3 credentials must not cross a network in clear
            from kiosk.upload.http import check_endpoint

            check_endpoint(endpoint_url, "upload.s3_endpoint_url")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        where = f" at {endpoint_url}" if endpoint_url else ""
        self.description = f"s3://{bucket}/{self.prefix}{where}"
        if client is None:
            try:
                import boto3
                from botocore.config import Config as BotoConfig
            except ImportError:
                raise TargetError(BOTO3_MISSING) from None
            if bool(access_key_id) != bool(secret_access_key):
                raise TargetError("upload: set both s3_access_key_id and s3_secret_access_key, or neither")
            client = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint_url or None,
                region_name=region or None,
                aws_access_key_id=access_key_id or None,
                aws_secret_access_key=secret_access_key or None,
                verify=verify,
                config=BotoConfig(
                    connect_timeout=timeout_s,
                    read_timeout=timeout_s,
                    retries={"max_attempts": 1, "mode": "standard"},  # the queue retries, with backoff
                    request_checksum_calculation="when_required",
                ),
            )
        self.client = client

    def put(self, item: UploadItem, body: bytes) -> Outcome:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        key = object_key(self.prefix, item)
        checksum = base64.b64encode(bytes.fromhex(item.sha256)).decode("ascii")
        try:
            existing = self._existing_sha256(key)
            if existing is not None:
                if existing == item.sha256:
                    return Outcome(Action.DONE, "already in the bucket")
                return Outcome(Action.QUARANTINE, "a different object is stored under this capture's key")
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ChecksumAlgorithm="SHA256",  # with our own value below: the store checks it, and keeps it
                ChecksumSHA256=checksum,
                ContentType="application/octet-stream",
                Metadata={"sha256": item.sha256, "capture-id": item.capture_id},
            )
        except ClientError as exc:
            return self._classify(exc)
        except NoCredentialsError:
            return Outcome(Action.RETRY_SLOW, "no S3 credentials (upload.s3_access_key_id or the environment)")
        except BotoCoreError as exc:
            return Outcome(Action.RETRY, f"cannot reach the store ({type(exc).__name__})")
        return Outcome(Action.DONE, "stored in the bucket")

    def _existing_sha256(self, key: str) -> str | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = exc.response.get("Error", {}).get("Code", "")
            if status == 404 and code in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        meta = {k.lower(): v for k, v in (head.get("Metadata") or {}).items()}
        if meta.get("sha256"):
            return meta["sha256"].lower()
        if head.get("ChecksumSHA256"):
            return base64.b64decode(head["ChecksumSHA256"]).hex()
        return ""  # there, but of unknown content: treat as different

    @staticmethod
    def _classify(exc: Any) -> Outcome:
        err = exc.response.get("Error", {})
        code = err.get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if code in _QUARANTINE_CODES or status == 413:
            return Outcome(Action.QUARANTINE, f"store rejected the envelope ({code or status})")
        if code in _RETRY_CODES or status in (408, 429) or status >= 500:
            return Outcome(Action.RETRY, f"store busy or failing ({code or status})")
        if code in _SLOW_CODES or status in (301, 400, 401, 403, 404):
            return Outcome(Action.RETRY_SLOW, f"store refused ({code or status}); check the s3 settings")
        return Outcome(Action.RETRY_SLOW, f"unexpected answer from the store ({code or status})")

    def close(self) -> None:
        close = getattr(self.client, "close", None)
        if close:
            close()
