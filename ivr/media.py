"""The operator's recording store, and the URLs the platform plays from it.

`IVR_RECORDINGS_URL` chooses the store: unset, a directory under
`instance/recordings/` (one host); a path, that directory; `s3://bucket/prefix`,
an S3-compatible bucket (boto3; `IVR_S3_ENDPOINT_URL` for MinIO and others).
A directory's files are served at `/media/<key>` only with an HMAC-signed,
expiring token; a bucket's objects by presigned URLs. Both expire after
`IVR_MEDIA_URL_SECONDS`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol

from flask import Blueprint, Flask, Response, abort, current_app, request, send_file, url_for

bp = Blueprint("media", __name__, url_prefix="/media")

# What a key may be: nothing else is ever read, written or served.
KEY = re.compile(r"(messages|greetings)/[A-Za-z0-9]{2,64}\.(wav|mp3)")
EXTENSIONS = {"audio/wav": "wav", "audio/mpeg": "mp3"}
TYPES = {extension: kind for kind, extension in EXTENSIONS.items()}


def key_for(folder: str, sid: str, content_type: str) -> str:
    """Where a recording's copy lives: derived from its SID, so a retry overwrites it."""
    key = f"{folder}/{sid}.{EXTENSIONS[content_type]}"
    if not KEY.fullmatch(key):
        raise ValueError("not a recording SID")
    return key


class Store(Protocol):
    """Where copies of recordings are kept."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def size(self, key: str) -> int | None: ...
    def delete(self, key: str) -> None: ...
    def url(self, key: str) -> str: ...


class DirectoryStore:
    """Files in one directory tree, written atomically (temporary file, then rename)."""

    def __init__(self, root: Path, seconds: int) -> None:
        self.root = root
        self.seconds = seconds

    def path(self, key: str) -> Path:
        if not KEY.fullmatch(key):
            raise ValueError("not a recording key")
        return self.root / key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        if self.size(key) != len(data):
            raise OSError(f"stored copy of {key} has the wrong length")

    def get(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def url(self, key: str) -> str:
        expires = int(time.time()) + self.seconds
        return url_for(
            "media.audio", key=key, expires=expires, token=sign(key, expires), _external=True
        )


class BucketStore:
    """Objects in an S3-compatible bucket, under a prefix; played by presigned URLs."""

    def __init__(self, url: str, endpoint: str | None, seconds: int) -> None:
        import boto3
        from botocore.config import Config

        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.seconds = seconds
        self.s3: Any = boto3.client(
            "s3",
            endpoint_url=endpoint,
            config=Config(
                signature_version="s3v4",
                connect_timeout=5,
                read_timeout=20,
                retries={"max_attempts": 2},
            ),
        )

    def _key(self, key: str) -> str:
        if not KEY.fullmatch(key):
            raise ValueError("not a recording key")
        return self.prefix + key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.s3.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
        )
        if self.size(key) != len(data):
            raise OSError(f"stored copy of {key} has the wrong length")

    def get(self, key: str) -> bytes:
        answer = self.s3.get_object(Bucket=self.bucket, Key=self._key(key))
        return bytes(answer["Body"].read())

    def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            head = self.s3.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=self._key(key))

    def url(self, key: str) -> str:
        return str(
            self.s3.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": self._key(key)},
                ExpiresIn=self.seconds,
            )
        )


def make_store(app: Flask) -> Store:
    """The store IVR_RECORDINGS_URL names (a directory under instance/ by default)."""
    url = app.config.get("IVR_RECORDINGS_URL")
    seconds = app.config["IVR_MEDIA_URL_SECONDS"]
    if url and url.startswith("s3://"):
        return BucketStore(url, app.config.get("IVR_S3_ENDPOINT_URL"), seconds)
    root = Path(url.removeprefix("file://")) if url else Path(app.instance_path) / "recordings"
    return DirectoryStore(root, seconds)


def store() -> Store:
    """The app's recording store."""
    found: Store = current_app.extensions["ivr.media"]
    return found


def _media_key() -> bytes:
    secret = current_app.config["IVR_SECRET_KEY"].encode()
    return hmac.new(secret, b"ivr media urls", hashlib.sha256).digest()


def sign(key: str, expires: int) -> str:
    """The token that lets the platform fetch `key` until `expires` (Unix time)."""
    return hmac.new(_media_key(), f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()


def playback_url(stored_key: str | None, platform_url: str) -> str:
    """Our own copy once stored, else the platform's recording."""
    return store().url(stored_key) if stored_key else platform_url


@bp.get("/<path:key>")
def audio(key: str) -> Response:
    """A stored recording, for whoever holds a valid, unexpired token (ranges honoured)."""
    expires, token = request.args.get("expires", ""), request.args.get("token", "")
    if not expires.isdigit() or int(expires) < time.time() or not KEY.fullmatch(key):
        abort(403)
    if not hmac.compare_digest(sign(key, int(expires)), token):
        abort(403)
    files = store()
    if not isinstance(files, DirectoryStore) or files.size(key) is None:
        abort(404)
    answer = send_file(
        files.path(key), mimetype=TYPES[key.rsplit(".", 1)[1]], conditional=True, max_age=0
    )
    answer.headers["Cache-Control"] = "private, no-store"
    return answer


def init_app(app: Flask) -> None:
    """Open the configured store and serve /media."""
    app.extensions["ivr.media"] = make_store(app)
    app.register_blueprint(bp)
