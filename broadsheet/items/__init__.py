"""The items spiders emit, derived at import from the newest registered ``article`` schema.

The field list, its order and every field's documentation live in ``schemas/article/<N>.json``
only (see ``docs/data-dictionary.md``); adding an optional field to a new schema version adds it
here with no edit. ``Article`` is the article page, ``RelatedStory`` one related-story card, ``FieldSources`` which
source gave each field.
"""

from broadsheet.items.derive import as_record, items_from_schema
from schemas.registry import default_registry

_CLASSES = items_from_schema(default_registry().get("article").schema, __name__)
Article = _CLASSES["Article"]
RelatedStory = _CLASSES["RelatedStory"]
FieldSources = _CLASSES["FieldSources"]

__all__ = ["Article", "FieldSources", "RelatedStory", "as_record"]
