"""A job's events as an async stream: stored ones first, then live ones as they land."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

from fragrance_ai.store import JOB_EVENTS_CHANNEL, JobStore, Notifier
from schemas.jobs import JobEvent

FINAL_EVENTS = frozenset({"formula_optimized", "policy_trained", "job_failed", "job_cancelled"})


@dataclass
class JobEventFeed:
    store: JobStore
    notifier: Notifier
    poll_s: float = 5.0
    """NOTIFY is a hint: without one, look again after this long anyway."""

    async def follow(
        self, job_id: UUID, after_seq: int = 0, seen_unfinished: bool = False
    ) -> AsyncIterator[JobEvent]:
        """Events numbered above `after_seq`, ending after the job's final event.
        `seen_unfinished`: the caller has just read the job unfinished, so a first read
        that finds nothing new needs no look at its status."""
        look_at_status = not seen_unfinished
        async with self.notifier.watch(JOB_EVENTS_CHANNEL, str(job_id)) as wake:
            while True:
                wake.clear()
                events = await self.store.events_since(job_id, after_seq)
                for event in events:
                    yield event
                    after_seq = event.seq
                    if event.type in FINAL_EVENTS:
                        return
                # A job moves to a final status in the transaction that records its final
                # event, so the status needs a look only when nothing new came: a look
                # after every event cost two more queries each time.
                if (
                    not events
                    and look_at_status
                    and (await self.store.get_job(job_id)).status.is_terminal
                    and not await self.store.events_since(job_id, after_seq)
                ):
                    return
                look_at_status = True
                await wake.wait(self.poll_s)
