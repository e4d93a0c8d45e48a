"""`fragrance-ai keys create|list|revoke`: API keys in the database of DATABASE_URL.

A key is printed once, when it is created; the database keeps only a hash of it.
"""

import argparse
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fragrance_ai.cli.programs import configured, run_program
from fragrance_ai.programs.lifecycle import StartupError
from fragrance_ai.store import ApiKey, JobStore, Scope, migrate, open_pool

_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def parse_tenant(text: str) -> str:
    if not _TENANT.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"a tenant is 1 to 64 letters, digits, '_', '.' or '-', not {text!r}"
        )
    return text


def parse_scopes(text: str) -> frozenset[Scope]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    known = ", ".join(scope.value for scope in Scope)
    if not names:
        raise argparse.ArgumentTypeError(f"name at least one scope of {known}")
    try:
        return frozenset(Scope(name) for name in names)
    except ValueError:
        raise argparse.ArgumentTypeError(f"scopes are {known}, not {text!r}") from None


def describe(key: ApiKey) -> str:
    scopes = ",".join(sorted(scope.value for scope in key.scopes))
    state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
    return f"{key.id}  {key.tenant}  {scopes}  created {key.created_at:%Y-%m-%d %H:%M}  {state}"


def with_store(work: Callable[[JobStore], Awaitable[None]]) -> int:
    settings = configured()

    async def main() -> None:
        if not settings.database.url:
            raise StartupError(
                "database.url (DATABASE_URL) is not set: keys live in the API's database"
            )
        pool = await open_pool(settings.database.url, max_size=1)
        try:
            await migrate(pool)
            await work(JobStore(pool))
        finally:
            await pool.close()

    return run_program(main)


def run_create(args: argparse.Namespace) -> int:
    async def create(store: JobStore) -> None:
        key, secret = await store.create_api_key(args.tenant, args.scopes)
        print(describe(key))
        print(secret)
        print("The key is shown this once; the database keeps only its hash.")

    return with_store(create)


def run_list(args: argparse.Namespace) -> int:
    async def show(store: JobStore) -> None:
        keys = await store.api_keys(args.tenant)
        print("\n".join(describe(key) for key in keys) if keys else "no keys")

    return with_store(show)


def run_revoke(args: argparse.Namespace) -> int:
    async def revoke(store: JobStore) -> None:
        if not await store.revoke_api_key(args.key_id):
            raise StartupError(f"no active key {args.key_id!r} (see `fragrance-ai keys list`)")
        print(f"revoked {args.key_id}")

    return with_store(revoke)


def register(subparsers: Any) -> None:
    keys = subparsers.add_parser("keys", help="API keys: create, list, revoke")
    commands = keys.add_subparsers(dest="keys_command", required=True)
    create = commands.add_parser("create", help="create a key and print it, once")
    create.add_argument(
        "--tenant", required=True, type=parse_tenant, help="the tenant whose jobs the key owns"
    )
    create.add_argument(
        "--scopes",
        type=parse_scopes,
        default=frozenset({Scope.FORMULATE}),
        help="comma-separated: formulate, train, admin (default formulate)",
    )
    create.set_defaults(run=run_create)
    listing = commands.add_parser("list", help="every key (its id, never its secret)")
    listing.add_argument("--tenant", help="only this tenant's keys")
    listing.set_defaults(run=run_list)
    revoke = commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id", help="the id `keys list` shows (fai_<id>_...)")
    revoke.set_defaults(run=run_revoke)
