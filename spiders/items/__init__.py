"""Items the spiders emit: one item class per module."""

from spiders.items.article import Article
from spiders.items.related_story import RelatedStory

__all__ = ["Article", "RelatedStory"]
