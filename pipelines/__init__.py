"""Item pipelines (``ITEM_PIPELINES``), one per module: what happens to items after the spider."""
