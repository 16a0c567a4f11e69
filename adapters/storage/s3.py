"""Evidence files in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2), with boto3."""

from __future__ import annotations

import asyncio
from typing import Any

import boto3
from botocore.config import Config


class S3Store:
    name = "s3"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        self._bucket, self._prefix = bucket, prefix.strip("/")
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=Config(retries={"mode": "standard", "max_attempts": 5}),
        )

    def _key(self, key: str) -> str:
        return f"{self._prefix}/{key}" if self._prefix else key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self._bucket,
            Key=self._key(key),
            Body=data,
            ContentType=content_type,
            ServerSideEncryption="AES256",
        )

    async def get(self, key: str) -> bytes:
        answer = await asyncio.to_thread(
            self._client.get_object, Bucket=self._bucket, Key=self._key(key)
        )
        return bytes(await asyncio.to_thread(answer["Body"].read))
