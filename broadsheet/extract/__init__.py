"""Field-level extraction: the parsed page, field sources, normalisers, the generic base's sources,
bodies, page types and the quality score. Site spiders import sources from ``broadsheet.extract.sources``."""
