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
from dataclasses import dataclass
from typing import Any

import redis
from scrapy.settings import BaseSettings

from broadsheet.provenance import worker_id

RECOVERED_SCORE = -(2**50)  # requeued requests go first (the queue pops the lowest score)
LATE_SHARE = 0.4
"""A heartbeat (every fifth of ``FRONTIER_WORKER_TIMEOUT``) is late when the worker's ``alive`` key has lost
more than this share of its lifetime."""
TURNS_PER_PRIORITY = 2**24
"""Queue scores are ``-priority * TURNS_PER_PRIORITY + turn``, ``turn`` the count of the site's requests
queued so far: within one priority the queue takes the sites in turn (each site's first request, then
each site's second, ...) instead of one site's requests after another's, so the sites a lease looks at
(``FRONTIER_SCAN`` entries) are many and their tokens are free. Exact while priorities stay within
+-2**28 (a double's 53 bits)."""

# Queue entries are "<site>\0<request>": the lease takes the first of the queue's first ARGV[5]
# entries whose site has a free token (fewer than ARGV[2] holders) and whose delay (ARGV[3] ms)
# has passed, moves it to the worker's active hash under lease id ARGV[1] and makes that id one
# of the site's token holders until Redis time + ARGV[4] ms. False when no entry can go now.
LEASE = r"""
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, delay, ttl = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local blocked = {}
for _, entry in ipairs(redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[5]) - 1)) do
  local site = string.sub(entry, 1, string.find(entry, '\0', 1, true) - 1)
  if not blocked[site] then
    local holders, next_key = ARGV[6] .. site .. ':holders', ARGV[6] .. site .. ':next'
    redis.call('ZREMRANGEBYSCORE', holders, '-inf', now)
    local free = redis.call('ZCARD', holders) < limit
    if free and delay > 0 and tonumber(redis.call('GET', next_key) or '0') > now then free = false end
    if free then
      redis.call('ZREM', KEYS[1], entry)
      redis.call('HSET', KEYS[2], ARGV[1], entry)
      redis.call('ZADD', holders, now + ttl, ARGV[1])
      if delay > 0 then redis.call('SET', next_key, now + delay, 'PX', delay + 1000) end
      return entry
    end
    blocked[site] = true
  end
end
return false
"""

# scrapy-redis's enqueue in one round trip: the dupefilter's SADD of the fingerprint (unless the
# request is dont_filter, ARGV[4] = 1), then the priority queue's ZADD at score ARGV[2] *
# ARGV[6] + the site's turn (the site's key prefix is ARGV[5]). 1 when queued.
ADMIT = r"""
if ARGV[4] ~= '1' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
local site = string.sub(ARGV[3], 1, string.find(ARGV[3], '\0', 1, true) - 1)
local turn = redis.call('INCR', ARGV[5] .. site .. ':turn')
redis.call('ZADD', KEYS[2], string.format('%.0f', tonumber(ARGV[2]) * tonumber(ARGV[6]) + turn), ARGV[3])
return 1
"""

FINISH = """
local data = redis.call('HGET', KEYS[1], ARGV[1])
if not data then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], data)
return 1
"""

# Put a worker's hash of leased entries back in the queue (KEYS[2]) and free the site tokens
# their lease ids hold (site keys start with ARGV[2]).
REQUEUE = r"""
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local entry = entries[i + 1]
  local site = string.sub(entry, 1, string.find(entry, '\0', 1, true) - 1)
  redis.call('ZREM', ARGV[2] .. site .. ':holders', entries[i])
  redis.call('ZADD', KEYS[2], ARGV[1], entry)
end
redis.call('DEL', KEYS[1])
return #entries / 2
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


@dataclass(frozen=True)
class Politeness:
    """A site's limits across all workers: tokens, least delay between starts (s), token lifetime
    (s, frees a dead worker's tokens) and how deep into the queue a lease looks for a free site."""

    concurrency: int = 8
    delay: float = 0.0
    ttl: float = 190.0
    scan: int = 200


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

    def __init__(self, client: redis.Redis, crawl: str, worker: str | None = None, worker_timeout: float = 30,
                 politeness: Politeness | None = None):
        self.client = client
        self.politeness = politeness or Politeness()
        self.prefix = f"broadsheet:{crawl}"
        self.worker = worker or worker_id()
        self.worker_timeout = worker_timeout
        self._admit = client.register_script(ADMIT)
        self._lease = client.register_script(LEASE)
        self._finish = client.register_script(FINISH)
        self._requeue = client.register_script(REQUEUE)
        self._unclaim = client.register_script(UNCLAIM)
        self._claim = client.register_script(CLAIM)

    @classmethod
    def from_settings(cls, settings: BaseSettings, spider_name: str) -> SharedCrawl:
        """The state of the crawl ``REDIS_URL`` and ``CRAWL_ID`` name."""
        politeness = Politeness(settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 8),
                                settings.getfloat("FRONTIER_DOWNLOAD_DELAY", 0),
                                settings.getfloat("DOWNLOAD_TIMEOUT", 180) + 10,
                                settings.getint("FRONTIER_SCAN", 200))
        return cls(connect(settings), crawl_name(settings, spider_name),
                   worker_timeout=settings.getfloat("FRONTIER_WORKER_TIMEOUT", 30), politeness=politeness)

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
        return int(self._requeue(keys=[key, self.key("requests")], args=[RECOVERED_SCORE, self.key("site") + ":"]))

    def settle(self) -> None:
        """This worker's results are committed: forget its done requests and keep its claims."""
        self.client.delete(self.key("done", self.worker), self.key("claims", self.worker))

    def leave(self) -> None:
        """This worker stops: it is no longer counted among the workers."""
        self.client.srem(self.key("workers"), self.worker)
        self.client.delete(self.key("alive", self.worker))

    def others_pending(self) -> int:
        """Requests other workers hold and have not finished, plus the finished but uncommitted ones of
        workers whose heartbeat is late (missed more than ``LATE_SHARE`` of ``worker_timeout``): a worker
        killed after its last download holds nothing active, yet its results may still come back to the
        queue when its ``alive`` key expires. A live worker's uncommitted results are not waited for
        (each worker commits when it closes, so waiting for one another would never end)."""
        workers = [w.decode() for w in self.client.smembers(self.key("workers")) if w.decode() != self.worker]
        if not workers:
            return 0
        pipe = self.client.pipeline()
        for worker in workers:
            pipe.hlen(self.key("active", worker))
            pipe.hlen(self.key("done", worker))
            pipe.pttl(self.key("alive", worker))
        found = pipe.execute()
        late = (1 - LATE_SHARE) * self.worker_timeout * 1000
        return sum(active + (done if ttl < late else 0)
                   for active, done, ttl in zip(found[::3], found[1::3], found[2::3], strict=True))

    # --- requests --------------------------------------------------------------------------

    def admit(self, fingerprint: str, entry: bytes, score: int, dont_filter: bool) -> bool:
        """Queue ``entry`` (``score``: minus its priority; its site's turn is added) unless its fingerprint is in
        the seen-set (which it joins); False when seen."""
        return bool(self._admit(keys=[self.key("seen"), self.key("requests")],
                                args=[fingerprint, score, entry, int(dont_filter), self.key("site") + ":",
                                      TURNS_PER_PRIORITY]))

    def lease(self) -> tuple[str, str, bytes] | None:
        """Take the first queued request whose site may be fetched now (a free token, the delay
        passed): ``(lease id, site, encoded request)``, or None."""
        lease = uuid.uuid4().hex
        p = self.politeness
        entry = self._lease(keys=[self.key("requests"), self.key("active", self.worker)],
                            args=[lease, p.concurrency, int(p.delay * 1000), int(p.ttl * 1000), p.scan,
                                  self.key("site") + ":"])
        if entry is None:
            return None
        site, _, data = entry.partition(b"\0")
        return lease, site.decode(), data

    def give_back(self, site: str, token: str) -> None:
        """Return ``site``'s token ``token`` (the download ended)."""
        self.client.zrem(self.site_keys(site)[0], token)

    def site_keys(self, site: str) -> list[str]:
        """The keys of ``site``'s token holders and of the time its next request may start."""
        return [self.key("site", f"{site}:holders"), self.key("site", f"{site}:next")]

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
