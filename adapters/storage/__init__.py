"""Evidence storage: customers' photos, videos and receipts, kept outside Temporal.

Files on disk locally; an S3-compatible bucket in production, chosen by the store's URL
(`file:.data/evidence`, `s3://bucket/prefix`). Only the types a return or claim needs are
taken, recognised by their bytes, not by what the client claims."""

from __future__ import annotations

from typing import Any, Protocol

ALLOWED_TYPES = {
    "image/jpeg",
    "image/png",
    "image/webp",
    "video/mp4",
    "video/quicktime",
    "application/pdf",
}


def sniff(data: bytes) -> str | None:
    """The file's type from its first bytes, when it is one of ALLOWED_TYPES."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/quicktime" if data[8:10] == b"qt" else "video/mp4"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


class EvidenceStore(Protocol):
    name: str

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`; storing the same key again replaces it."""
        ...

    async def get(self, key: str) -> bytes: ...


def open_store(url: str, **s3: Any) -> EvidenceStore:
    """The store a URL names: `file:<directory>` or `s3://<bucket>[/<prefix>]`."""
    if url.startswith("s3://"):
        from adapters.storage.s3 import S3Store

        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        return S3Store(bucket, prefix, **s3)
    if url.startswith("file:"):
        from adapters.storage.disk import DiskStore

        return DiskStore(url.removeprefix("file:").removeprefix("//"))
    raise ValueError(f"evidence store URL must start with file: or s3://, not {url!r}")
