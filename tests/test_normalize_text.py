"""Text cleaning and bodies as blocks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import html as lxml_html

from broadsheet.normalize.text import clean_text, html_blocks, title_parts


def blocks_of(markup: str, skip_xpath: str | None = None) -> list[str]:
    root = lxml_html.fromstring(f"<div>{markup}</div>")
    skipped = set(root.xpath(skip_xpath)) if skip_xpath else set()
    return html_blocks(root, skipped.__contains__)


def test_clean_text_normalises_entities_and_spaces():
    assert clean_text("  a&nbsp;&amp;\u00a0b\u200b \n\t c  ") == "a & b c"
    assert clean_text(None) == ""


@pytest.mark.parametrize(("title", "parts"), [
    ("Story - 07.12.2017 | Site", ["Story", "07.12.2017", "Site"]),
    ("这个约会软件，想用你来帮你找对象_智能_好奇心日报", ["这个约会软件，想用你来帮你找对象", "智能", "好奇心日报"]),
    ("指紋認証マウスを発売。｜サンワサプライ株式会社", ["指紋認証マウスを発売。", "サンワサプライ株式会社"]),
    ("Standalone WebAssembly binaries · V8", ["Standalone WebAssembly binaries", "V8"]),
    ("snake_case in Python - Blog", ["snake_case in Python", "Blog"]),  # an underscore inside a Latin name
    ("COVID-19 vaccines - what we know", ["COVID-19 vaccines", "what we know"]),  # an unspaced hyphen is none
])
def test_a_titles_parts_split_at_the_separators_of_each_script(title, parts):
    assert title_parts(title) == parts


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
