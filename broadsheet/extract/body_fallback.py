"""The pluggable fallback body extractor: a callable named by a setting, asked only for low-quality records.

``BODY_FALLBACK`` names a callable (``"package.module:function"`` or a dotted path) taking the response
and returning the body as plain text (paragraphs on their own lines) or None; ``""`` (the default) is
off. It is asked when the record's quality is below ``BODY_FALLBACK_BELOW`` or the page gave no body;
its body wins when it gives one, and the field's source reads ``fallback``.

Measured on the public corpora (883 pages, ``benchmarks/eval_corpora.py``): with ``trafilatura_body``
below 0.8 (41% of the pages) body mean F1 0.847 -> 0.859 for about 8 ms/page more; below 0.6 (14%) +0.002.
So it is off by default: the speed target of the crawl path does not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable

from scrapy.http import Response
from scrapy.utils.misc import load_object

from broadsheet.errors import BadInput

FallbackExtractor = Callable[[Response], str | None]
"""``extractor(response)``: the body's plain text, or None."""


def load_fallback(path: str) -> FallbackExtractor | None:
    """The callable ``BODY_FALLBACK`` names (None when empty), or ``BadInput`` naming the setting."""
    if not path:
        return None
    try:
        found = load_object(path.replace(":", "."))
    except (ImportError, NameError, ValueError, AttributeError) as exc:
        raise BadInput(f"BODY_FALLBACK={path!r}: cannot import it ({exc}); give 'package.module.function', "
                       "e.g. broadsheet.extract.body_fallback.trafilatura_body, or '' to switch it off") from exc
    if not callable(found):
        raise BadInput(f"BODY_FALLBACK={path!r} is not callable; name a function of the response")
    return found


def trafilatura_body(response: Response) -> str | None:
    """trafilatura's main text of the page (``pip install ".[bench]"``), or None."""
    import trafilatura

    return trafilatura.extract(response.text, url=response.url, include_comments=False)
