"""The evidence stores: files on disk, and an S3-compatible bucket (moto's S3 server, which
speaks the S3 protocol over HTTP), behind one protocol; file types told by their bytes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from adapters.storage import open_store, sniff
from tests.integration.harness import free_port

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16


def test_file_types_are_told_by_their_bytes() -> None:
    assert sniff(JPEG) == "image/jpeg"
    assert sniff(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff(MP4) == "video/mp4"
    assert sniff(b"\x00\x00\x00\x14ftypqt  ") == "video/quicktime"
    assert sniff(b"%PDF-1.7") == "application/pdf"
    assert sniff(b"<html>") is None and sniff(b"MZ\x90\x00") is None


async def test_the_disk_store_keeps_files_and_refuses_keys_that_leave_it(tmp_path: Path) -> None:
    store = open_store(f"file:{tmp_path}")
    await store.put("order-1/ev_1", JPEG, "image/jpeg")
    assert await store.get("order-1/ev_1") == JPEG
    with pytest.raises(ValueError):
        await store.put("../outside", JPEG, "image/jpeg")


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


async def test_the_s3_store_keeps_files_encrypted_in_its_bucket(s3_endpoint: str) -> None:
    credentials = dict(region="eu-west-1", access_key_id="test", secret_access_key="test")
    admin = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    admin.create_bucket(
        Bucket="evidence", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    store = open_store("s3://evidence/orderflow", endpoint_url=s3_endpoint, **credentials)
    await store.put("order-1/ev_1", MP4, "video/mp4")
    assert await store.get("order-1/ev_1") == MP4
    head = admin.head_object(Bucket="evidence", Key="orderflow/order-1/ev_1")
    assert head["ContentType"] == "video/mp4" and head["ServerSideEncryption"] == "AES256"


def test_an_unknown_store_url_is_refused() -> None:
    with pytest.raises(ValueError, match="file: or s3://"):
        open_store("ftp://example.com/evidence")
