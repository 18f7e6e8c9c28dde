"""The shared frontier: ``-s REDIS_URL=redis://host:port/db`` makes a crawl one worker of many.

All workers started with the same command (same spider, same ``CRAWL_ID``) share, in Redis:
one request queue and one seen-set (scrapy-redis's priority queue and dupefilter, in
``scheduler.py``), the requests each worker holds (leases, so a worker that dies loses none),
the stories already exported (``pipelines/dedup.py``), and per-site politeness tokens
(``politeness.py``). ``state.py`` holds the Redis keys and the atomic scripts on them.
"""
