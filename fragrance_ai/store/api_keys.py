"""API keys: made once, shown once, kept as a scrypt hash, looked up by their id.

A key reads ``fai_<id>_<secret>``: the id (12 hex digits) finds the row, the secret
(32 random bytes, URL-safe base64) is checked against the row's scrypt hash. The
secret itself is stored nowhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

KEY_PATTERN = re.compile(r"^fai_(?P<id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})$")
# scrypt's interactive-login cost (RFC 7914): 16 MiB and some tens of ms per check.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


class Scope(StrEnum):
    """What a key may do; ``admin`` may do everything."""

    FORMULATE = "formulate"
    TRAIN = "train"
    ADMIN = "admin"


class ApiKey(BaseModel):
    """A stored key, without its secret."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The key's public id, the part after `fai_`")
    tenant: str = Field(description="The tenant whose jobs the key creates and reads")
    scopes: frozenset[Scope] = Field(description="What the key may do")
    secret_hash: str = Field(repr=False, description="scrypt$N$r$p$salt$hash")
    created_at: datetime
    revoked_at: datetime | None = None

    def allows(self, scope: Scope) -> bool:
        return scope in self.scopes or Scope.ADMIN in self.scopes


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def secret_matches(secret: str, secret_hash: str) -> bool:
    """Whether ``secret`` hashes to ``secret_hash``, compared in constant time."""
    scheme, n, r, p, salt, digest = secret_hash.split("$")
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        secret.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate, _unb64(digest))


def new_key() -> tuple[str, str, str]:
    """A fresh key: (its id, the whole key to hand out once, the hash to store)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return key_id, f"fai_{key_id}_{secret}", hash_secret(secret)


def _api_key(row: asyncpg.Record) -> ApiKey:
    return ApiKey(**{**dict(row), "scopes": frozenset(row["scopes"])})


class ApiKeyQueries:
    _pool: asyncpg.Pool

    async def create_api_key(self, tenant: str, scopes: Iterable[Scope]) -> tuple[ApiKey, str]:
        """Store a new key for ``tenant``; the key and the only copy of its secret."""
        key_id, key, secret_hash = new_key()
        row = await self._pool.fetchrow(
            "INSERT INTO api_keys (id, tenant, scopes, secret_hash) VALUES ($1, $2, $3, $4)"
            " RETURNING *",
            key_id,
            tenant,
            sorted(Scope(scope).value for scope in scopes),
            secret_hash,
        )
        assert row is not None
        return _api_key(row), key

    async def api_key(self, key_id: str) -> ApiKey | None:
        row = await self._pool.fetchrow("SELECT * FROM api_keys WHERE id = $1", key_id)
        return _api_key(row) if row is not None else None

    async def api_keys(self, tenant: str | None = None) -> list[ApiKey]:
        """Every key, or a tenant's, oldest first, revoked ones included."""
        rows = await self._pool.fetch(
            "SELECT * FROM api_keys WHERE $1::text IS NULL OR tenant = $1 ORDER BY created_at, id",
            tenant,
        )
        return [_api_key(row) for row in rows]

    async def revoke_api_key(self, key_id: str) -> bool:
        """Revoke a key from now on; False when there is no such unrevoked key."""
        result = await self._pool.execute(
            "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", key_id
        )
        return bool(result == "UPDATE 1")
