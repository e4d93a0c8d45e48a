"""One-shot administration: migrate the database, create the topics."""

from dynaconf import Dynaconf

from brokers.security import client_options
from brokers.topics import create_topics, topic_catalogue
from fragrance_ai.programs.lifecycle import StartupError
from fragrance_ai.store import migrate, open_pool


async def migrate_database(settings: Dynaconf) -> None:
    if not settings.database.url:
        raise StartupError("database.url (DATABASE_URL) is not set")
    pool = await open_pool(settings.database.url, max_size=1)
    try:
        applied = await migrate(pool)
    finally:
        await pool.close()
    print(f"applied: {', '.join(applied)}" if applied else "the database is up to date")


async def create_all_topics(settings: Dynaconf) -> None:
    if not settings.kafka.bootstrap_servers:
        raise StartupError("kafka.bootstrap_servers (KAFKA_BOOTSTRAP_SERVERS) is not set")
    created = await create_topics(
        settings.kafka.bootstrap_servers,
        topic_catalogue(settings),
        client_options(settings.kafka),
    )
    print(f"created: {', '.join(created)}" if created else "every topic exists already")
