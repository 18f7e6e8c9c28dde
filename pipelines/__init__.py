"""Item pipelines and feed exporters: what happens to items after the spider."""
