"""A shared crawl's state in Redis: the keys, and the atomic (Lua) steps every worker takes.

Keys, under ``broadsheet:<crawl>:`` (``<crawl>`` is ``CRAWL_ID``, else the spider's name):

- ``requests``: the queue (sorted set, scrapy-redis's ``PriorityQueue`` layout); ``seen``: the
  fingerprints of every request ever scheduled (scrapy-redis's dupefilter set);
- ``workers``: the workers' ids; ``alive:<worker>``: a key that expires unless its worker renews it;
- ``active:<worker>``: requests a worker took and has not finished (lease id -> request);
  ``done:<worker>``: requests it finished whose results are not yet committed;
- ``stories``: the story keys exported so far; ``claims:<worker>``: those a worker claimed and
  has not yet committed.

A worker whose ``alive`` key expired is dead: the next worker that looks puts its active and
done requests back at the head of the queue and releases its claims, so nothing it held is lost
and nothing it did not commit stays claimed.
"""

from __future__ import annotations

import uuid
from typing import Any

import redis
from scrapy.settings import BaseSettings

from broadsheet.provenance import worker_id

RECOVERED_SCORE = -1_000_000  # requeued requests go first (the queue pops the lowest score)

LEASE = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
redis.call('HSET', KEYS[2], ARGV[1], r[1])
return r[1]
"""

FINISH = """
local data = redis.call('HGET', KEYS[1], ARGV[1])
if not data then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], data)
return 1
"""

REQUEUE = """
local entries = redis.call('HVALS', KEYS[1])
for _, data in ipairs(entries) do redis.call('ZADD', KEYS[2], ARGV[1], data) end
redis.call('DEL', KEYS[1])
return #entries
"""

UNCLAIM = """
local claims = redis.call('SMEMBERS', KEYS[1])
for _, story in ipairs(claims) do redis.call('SREM', KEYS[2], story) end
redis.call('DEL', KEYS[1])
return #claims
"""

CLAIM = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SADD', KEYS[2], ARGV[1])
return 1
"""


def crawl_name(settings: BaseSettings, spider_name: str) -> str:
    """The shared crawl's name: ``CRAWL_ID``, else the spider's name."""
    return settings.get("CRAWL_ID") or spider_name


def connect(settings: BaseSettings) -> redis.Redis:
    """A client for ``REDIS_URL`` (checked with a ping: a wrong URL fails the crawl at once)."""
    url = settings.get("REDIS_URL")
    client = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, health_check_interval=30)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise RuntimeError(f"REDIS_URL={url!r}: cannot reach Redis ({exc}); start redis-server or fix the URL") from exc
    return client


class SharedCrawl:
    """One worker's handle on the shared crawl's state."""

    def __init__(self, client: redis.Redis, crawl: str, worker: str | None = None, worker_timeout: float = 30):
        self.client = client
        self.prefix = f"broadsheet:{crawl}"
        self.worker = worker or worker_id()
        self.worker_timeout = worker_timeout
        self._lease = client.register_script(LEASE)
        self._finish = client.register_script(FINISH)
        self._requeue = client.register_script(REQUEUE)
        self._unclaim = client.register_script(UNCLAIM)
        self._claim = client.register_script(CLAIM)

    @classmethod
    def from_settings(cls, settings: BaseSettings, spider_name: str) -> SharedCrawl:
        """The state of the crawl ``REDIS_URL`` and ``CRAWL_ID`` name."""
        return cls(connect(settings), crawl_name(settings, spider_name),
                   worker_timeout=settings.getfloat("FRONTIER_WORKER_TIMEOUT", 30))

    def key(self, name: str, worker: str | None = None) -> str:
        """The Redis key ``name`` (of ``worker``, for per-worker keys)."""
        return f"{self.prefix}:{name}" + (f":{worker}" if worker else "")

    # --- workers ---------------------------------------------------------------------------

    def heartbeat(self) -> None:
        """Say this worker is alive for the next ``worker_timeout`` seconds."""
        pipe = self.client.pipeline()
        pipe.sadd(self.key("workers"), self.worker)
        pipe.set(self.key("alive", self.worker), "1", px=int(self.worker_timeout * 1000))
        pipe.execute()

    def recover(self) -> int:
        """Return every dead worker's requests to the queue; the number of requests returned."""
        returned = 0
        for raw in self.client.smembers(self.key("workers")):
            worker = raw.decode()
            if worker != self.worker and not self.client.exists(self.key("alive", worker)):
                returned += self.release(worker)
                self.client.srem(self.key("workers"), worker)
        return returned

    def release(self, worker: str | None = None) -> int:
        """Put ``worker``'s active and done requests back in the queue and drop its claims; the
        number of requests returned."""
        worker = worker or self.worker
        returned = self._requeue_hash(self.key("active", worker)) + self._requeue_hash(self.key("done", worker))
        self._unclaim(keys=[self.key("claims", worker), self.key("stories")])
        return returned

    def release_active(self) -> int:
        """Put the requests this worker took and did not finish back in the queue."""
        return self._requeue_hash(self.key("active", self.worker))

    def _requeue_hash(self, key: str) -> int:
        return int(self._requeue(keys=[key, self.key("requests")], args=[RECOVERED_SCORE]))

    def settle(self) -> None:
        """This worker's results are committed: forget its done requests and keep its claims."""
        self.client.delete(self.key("done", self.worker), self.key("claims", self.worker))

    def leave(self) -> None:
        """This worker stops: it is no longer counted among the workers."""
        self.client.srem(self.key("workers"), self.worker)
        self.client.delete(self.key("alive", self.worker))

    def others_active(self) -> int:
        """Requests other workers hold and have not finished."""
        workers = [w.decode() for w in self.client.smembers(self.key("workers")) if w.decode() != self.worker]
        pipe = self.client.pipeline()
        for worker in workers:
            pipe.hlen(self.key("active", worker))
        return sum(pipe.execute()) if workers else 0

    # --- requests --------------------------------------------------------------------------

    def lease(self) -> tuple[str, bytes] | None:
        """Take the queue's first request: ``(lease id, encoded request)``, or None if empty."""
        lease = uuid.uuid4().hex
        data = self._lease(keys=[self.key("requests"), self.key("active", self.worker)], args=[lease])
        return (lease, data) if data is not None else None

    def finish(self, lease: str) -> None:
        """The leased request is processed; its results await the commit."""
        self._finish(keys=[self.key("active", self.worker), self.key("done", self.worker)], args=[lease])

    def active(self) -> int:
        """Requests this worker holds and has not finished."""
        return self.client.hlen(self.key("active", self.worker))

    # --- stories ---------------------------------------------------------------------------

    def claim_story(self, story: str) -> bool:
        """Claim a story for this worker's export; False when another record already has it."""
        return bool(self._claim(keys=[self.key("stories"), self.key("claims", self.worker)], args=[story]))

    def describe(self) -> dict[str, Any]:
        """Queue length, seen-set size, workers and stories (for logs and tests)."""
        return {"queued": self.client.zcard(self.key("requests")), "seen": self.client.scard(self.key("seen")),
                "workers": self.client.scard(self.key("workers")), "stories": self.client.scard(self.key("stories"))}
