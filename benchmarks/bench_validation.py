"""Validation benchmark: the crawl's validator against python-jsonschema, and its per-item cost.

    python benchmarks/bench_validation.py [--items 20000]

Same realistic items (the recorded Mitrade articles, related stories included), same run:
1. items/s of jsonschema-rs (the pipeline's validator, formats asserted) and of python-jsonschema
   with a FormatChecker, and their ratio (target >= 100x);
2. what the validation pipeline adds per item (record building + validation + stamping), next to
   the ``ItemAdapter(item).asdict()`` copy it avoids.
"""

from __future__ import annotations

import argparse
import time

from common import articles
from itemadapter import ItemAdapter

from schemas.registry import default_registry


def rate(function, items: list, minimum: float = 1.0) -> float:
    """Items per second of ``function`` over ``items``, repeated for at least ``minimum`` s."""
    done, start = 0, time.perf_counter()
    while True:
        for item in items:
            function(item)
        done += len(items)
        elapsed = time.perf_counter() - start
        if elapsed >= minimum:
            return done / elapsed


def main() -> None:
    """Print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20000)
    args = parser.parse_args()
    items = articles()
    items = (items * (args.items // len(items) + 1))[: args.items]
    registry = default_registry()
    records = [{**item.to_dict(), "record_schema": "article@2"} for item in items]
    fast = registry.validator("article@2")
    slow = registry.reference_validator("article@2")
    assert all(fast.is_valid(r) for r in records[:50]) and all(slow.is_valid(r) for r in records[:50])
    fast_rate = rate(fast.is_valid, records)
    slow_rate = rate(slow.is_valid, records[:2000])
    print(f"jsonschema-rs      {fast_rate:12,.0f} items/s ({1e6 / fast_rate:7.1f} us/item)")
    print(f"python-jsonschema  {slow_rate:12,.0f} items/s ({1e6 / slow_rate:7.1f} us/item)")
    print(f"ratio              {fast_rate / slow_rate:12.0f}x (target >= 100x)")

    from scrapy.utils.test import get_crawler

    from pipelines.validation import SchemaValidationPipeline
    from spiders.mitrade import MitradeSpider

    pipeline = SchemaValidationPipeline(get_crawler(MitradeSpider), "article", 1.0)
    in_pipeline = rate(pipeline.process_item, items)
    to_dict = rate(lambda item: item.to_dict(), items)
    adapter = rate(lambda item: ItemAdapter(item).asdict(), items[:5000])
    print(f"pipeline per item  {1e6 / in_pipeline:7.1f} us (record {1e6 / to_dict:.1f} us + validation)")
    print(f"ItemAdapter.asdict {1e6 / adapter:7.1f} us/item (the copy the pipeline avoids)")


if __name__ == "__main__":
    main()
