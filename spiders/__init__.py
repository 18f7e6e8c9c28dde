"""Broadsheet's spiders: one module per site on the ``NewsSpider`` base, and what they share."""
