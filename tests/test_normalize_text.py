"""Text cleaning and bodies as blocks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lxml import html as lxml_html

from broadsheet.normalize.text import clean_text, html_blocks


def blocks_of(markup: str, skip_xpath: str | None = None) -> list[str]:
    root = lxml_html.fromstring(f"<div>{markup}</div>")
    skipped = set(root.xpath(skip_xpath)) if skip_xpath else set()
    return html_blocks(root, skipped.__contains__)


def test_clean_text_normalises_entities_and_spaces():
    assert clean_text("  a&nbsp;&amp;\u00a0b\u200b \n\t c  ") == "a & b c"
    assert clean_text(None) == ""


def test_one_block_per_paragraph_heading_item_and_quote():
    markup = ("<p>One <b>bold</b> line.</p><h2>Head</h2><ul><li>A</li><li>B</li></ul>"
              "<blockquote>Quote</blockquote><p>Last</p>")
    assert blocks_of(markup) == ["One bold line.", "Head", "A", "B", "Quote", "Last"]


def test_skipped_elements_and_scripts_contribute_nothing_but_tails_stay():
    markup = '<p>Before</p><div class="w">WIDGET</div>after<script>x()</script><p>End</p>'
    assert blocks_of(markup, './/div[@class="w"]') == ["Before", "after", "End"]


printable = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)


@given(st.lists(printable, min_size=1, max_size=8))
def test_paragraphs_round_trip(paragraphs):
    """Whatever the paragraph text, each non-blank paragraph is one cleaned block, in order."""
    from html import escape

    markup = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    expected = [clean_text(p) for p in paragraphs if clean_text(p)]
    assert blocks_of(markup) == expected


@given(printable)
def test_clean_text_is_idempotent(text):
    assert clean_text(clean_text(text)) == clean_text(text)
