"""The generic body: prose-density containers, the choice against resiliparse, doubt, and the fallback extractor."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from broadsheet.errors import BadInput
from broadsheet.extract.body import Body, resiliparse_body, trimmed, with_markdown, without_screen_reader_labels
from broadsheet.extract.body_density import density_body
from broadsheet.extract.body_fallback import load_fallback
from broadsheet.extract.body_main import _added_in_long_blocks, _left_out_prose, _opening, main_content
from broadsheet.extract.fields import extract_fields
from broadsheet.extract.page import Page
from broadsheet.extract.quality import quality
from spiders.article import ArticleSpider

STORY = " ".join(f"Sentence {i} of the story, with a comma, tells what happened." for i in range(6))
PAGE = f"""<html><body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>The headline</h1><div class="story-body">
<p>{STORY}</p><h2>What comes next</h2><p>{STORY}</p><ul><li>First point of the list</li><li>Second point</li></ul>
<p>{STORY}</p><figure><img src="x.jpg"><figcaption>A caption that is not story text at all</figcaption></figure>
</div></article>
<div class="related-stories"><p>{"Another story's teaser, long enough to look like prose, " * 3}</p></div>
<div id="comments"><p>{"A reader's comment, long enough to look like prose here, " * 3}</p></div>
<footer><p>Copyright and addresses, long enough to look like a paragraph.</p></footer></body></html>"""


def page_of(html: str, url: str = "https://news.example/2024/story") -> Page:
    return Page(HtmlResponse(url=url, body=html.encode(), encoding="utf-8", request=Request(url)))


def test_density_body_is_the_story_without_related_comments_captions_or_footer_and_keeps_its_markdown():
    body = density_body(page_of(PAGE))
    assert body.text.count("Sentence 5 of the story") == 3
    for chrome in ("teaser", "comment", "caption", "Copyright", "Home"):
        assert chrome not in body.text
    assert "## What comes next" in body.markdown and "- First point of the list" in body.markdown


def section(n: int, words: int = 4) -> str:
    """One section of a story printed in a box of its own, nested as some templates nest them."""
    text = " ".join(f"Part {n} sentence {i}, with a comma, says more of what happened." for i in range(words))
    return f'<div class="mod"><div class="con"><div class="box"><div class="paragraph"><p>{text}</p></div>' \
           f'</div></div></div>'


def test_the_density_body_keeps_every_section_a_template_prints_in_a_box_of_its_own_but_not_other_boxes():
    html = (f'<html><body><article><div class="sections">{section(1)}{section(2, 12)}{section(3)}'
            '<div class="mod"><div class="con"><div class="box teaser"><p>Another story, a teaser: '
            'short lines, no prose here.</p></div></div></div></div></article></body></html>')
    body = density_body(page_of(html))
    assert [n for n in (1, 2, 3) if f"Part {n} sentence 0" in body.text] == [1, 2, 3]
    assert body.text.index("Part 1") < body.text.index("Part 2") < body.text.index("Part 3")
    assert "teaser" not in body.text


def test_sections_whose_classes_number_them_are_one_storys_cousins():
    """The New York Times numbers its story's boxes (``story-body story-body-1``, ``-2``): the opening section,
    shorter than the best, is kept before it."""
    boxes = "".join(f'<div class="story-body-supplemental"><div class="story-body story-body-{n}"><p>'
                    + " ".join(f"Part {n} sentence {i}, with a comma, says more of what happened." for i in range(k))
                    + "</p></div></div>" for n, k in ((1, 3), (2, 12), (3, 4)))
    body = density_body(page_of(f"<html><body><article>{boxes}</article></body></html>"))
    assert body.text.index("Part 1") < body.text.index("Part 2") < body.text.index("Part 3")


def test_the_generic_body_has_no_chrome_and_a_page_without_prose_has_no_density_body():
    body = main_content(page_of(PAGE))
    assert "Sentence 0 of the story" in body.text and "comment" not in body.text and "teaser" not in body.text
    assert density_body(page_of("<html><body><a href='/a'>Menu</a></body></html>")) is None


def test_a_body_the_extractors_disagree_on_is_doubtful_and_lowers_the_quality():
    found = extract_fields(page_of(PAGE))
    sure = quality(found)
    doubtful = type(found)(values={**found.values, "body": found.values["body"].__class__(
        found.values["body"].text, doubtful=True)}, winners=found.winners)
    assert quality(doubtful) < sure


def fixed_body(response) -> str:
    """A fallback extractor for the tests: one known paragraph."""
    return "The fallback's body.\nIts second paragraph."


def spider_with(**settings) -> ArticleSpider:
    crawler = get_crawler(ArticleSpider, settings_dict=settings)
    return ArticleSpider.from_crawler(crawler, urls="https://news.example/2024/story")


def test_the_fallback_extractor_is_asked_only_below_the_quality_threshold():
    for below, expected in ((1.01, "fallback"), (0.0, "main_content")):
        spider = spider_with(BODY_FALLBACK=f"{__name__}.fixed_body", BODY_FALLBACK_BELOW=below)
        page = page_of(PAGE)
        found = extract_fields(page)
        spider.fallback_body(page.response, found)
        assert found.winners["body"] == expected
    assert found.values["body"].text != "The fallback's body.\n\nIts second paragraph."
    assert spider_with()._body_fallback is None  # off by default


def test_a_fallback_setting_that_names_nothing_importable_says_which_setting_and_what_to_give():
    assert load_fallback("") is None
    with pytest.raises(BadInput, match="BODY_FALLBACK='no.such.module:extract'.*package.module.function"):
        load_fallback("no.such.module:extract")
    with pytest.raises(BadInput, match="not callable"):
        load_fallback("broadsheet.extract.body_main.FAR_MORE")


def test_a_resiliparse_body_has_markdown_too_with_the_page_own_headings():
    page = page_of(PAGE)
    body = with_markdown(resiliparse_body(page), page)
    assert "\n\n## What comes next\n\n" in body.markdown
    assert body.markdown.replace("## ", "") == body.text


def test_a_lone_character_between_two_tags_stays_in_the_resiliparse_body():
    sentence = "この地震で、気象庁は<a href='/k'>高知県</a>と<a href='/m'>宮崎県</a>に津波注意報を出した。"
    page = page_of(f"<html><body><article><p>{sentence * 3}</p><p>{STORY} <b>Paris</b> – <b>Rome</b>.</p>"
                   "</article></body></html>")
    text = resiliparse_body(page).text
    assert "高知県と宮崎県に" in text and "Paris – Rome" in text and "\u2060" not in text


@pytest.mark.parametrize("chrome", ["replies", "disqus", "most-read", "outbrain"])
def test_the_density_body_wins_when_what_only_resiliparse_kept_is_page_chrome(chrome):
    replies = "".join(f"<p>Reader {i} wrote a long reply, with commas, about the story.</p>" for i in range(40))
    page = page_of(f"<html><body><article><h1>Head</h1><div class='story'><p>{STORY}</p><p>{STORY}</p></div>"
                   f"</article><div class='{chrome}'>{replies}</div></body></html>")
    assert "Reader 3 wrote" in resiliparse_body(page).text
    body = main_content(page)
    assert body.text.count("Sentence 5 of the story") == 2 and "Reader" not in body.text and not body.doubtful


def test_the_density_body_wins_when_what_only_resiliparse_kept_is_teaser_cards_not_sentences():
    cards = "".join(f"<div class='card'><h3><a href='/s{i}'>Another story number {i} here</a></h3><span>12:0{i}</span>"
                    f"<span>{i} min.</span><p>What the other story number {i} tells, a summary long enough to be kept "
                    "by resiliparse's trim</p></div>" for i in range(4))
    page = page_of(f"<html><body><article><h1>Head</h1><div class='text'><p>{STORY}</p><p>{STORY}</p><p>{STORY}</p>"
                   f"</div><div class='more'>{cards}</div></article></body></html>")
    assert "Another story number 3" in resiliparse_body(page).text
    body = main_content(page)
    assert body.text.count("Sentence 5 of the story") == 3 and "Another story" not in body.text


def test_what_only_resiliparse_kept_counts_as_prose_by_its_blocks_that_read_as_sentences():
    dense = Body(f"{STORY}\n\nA table's row\n\nof cells")
    assert _left_out_prose(Body(f"{STORY}\n\nA table's row of cells\n\n12:05\n\nRead more"), dense) == 0.0
    missed = "A paragraph the density body missed, which ends as a sentence."
    assert _left_out_prose(Body(f"{STORY}\n\n{missed}\n\n12:05"), dense) == 11 / 13
    assert _left_out_prose(Body(STORY), dense) == 1.0


def test_what_only_the_density_body_kept_counts_as_a_dropped_part_by_its_long_blocks():
    post = "An embedded post the story quotes, " * 7 + "and its end."  # 45 words: a paragraph resiliparse left out
    extracted = Body(f"{STORY}\n\nThe story's last line.")
    links = " ".join(f"How to do thing number {i}" for i in range(9))  # 54 words of link titles, no sentence
    assert _added_in_long_blocks(Body(f"{STORY}\n\n{links}"), extracted) == 0.0
    assert _added_in_long_blocks(Body(f"{STORY}\n\n{post}\n\nIts author, 18 November"), extracted) == 45 / 49
    assert _added_in_long_blocks(Body(f"{STORY}\n\nShare\n\nMore stories\n\n{post}"), extracted) == 45 / 48
    assert _added_in_long_blocks(Body(f"Home\n\nWorld\n\n{STORY}\n\nComments (3)"), extracted) == 0.0
    assert _added_in_long_blocks(Body(STORY), extracted) == 0.0


def test_a_japanese_paragraph_resiliparse_left_out_is_a_long_block():
    """Japanese runs its words together: its paragraph is a few ``\\w`` runs between commas, counted as two
    characters a word, so the last paragraph resiliparse cut off counts as the story's, and a short label not."""
    kept = "通常、権利者により正規のルートで販売された商品をそのまま転売する場合は、商標権侵害にはなりません。"
    cut = ("また、その他にも、もとの商品に付された商標を剥奪抹消した商品を販売する行為や、"
           "権利者の意思に基づくことなく、もとの商品を小分けにして販売するような行為は、"
           "商標権侵害と判断される場合があります。")
    assert _added_in_long_blocks(Body(f"{kept}\n\n{cut}"), Body(kept)) == 1.0
    assert _added_in_long_blocks(Body(f"{kept}\n\n関連記事"), Body(kept)) == 0.0


def test_the_density_body_wins_when_it_adds_a_paragraph_resiliparse_left_out():
    """An embedded post the story quotes (a blockquote, which resiliparse leaves out) is a long block with a
    sentence's end in it: the density body that keeps it is the body."""
    post = "An analyst wrote that the console runs the game at an unstable rate, " * 3 + "and so it goes."
    page = page_of(f"<html><body><article><h1>Head</h1><div class='entry-content'><p>{STORY}</p><p>{STORY}</p>"
                   f"<blockquote class='twitter-tweet'><p>{post}</p>&mdash; An Analyst (@analyst) "
                   f"<a href='https://twitter.com/x/status/1'>November 18, 2019</a></blockquote><p>{STORY}</p>"
                   "</div></article><footer><p>Copyright</p></footer></body></html>")
    assert "An analyst wrote" not in resiliparse_body(page).text
    body = main_content(page)
    assert "An analyst wrote" in body.text and body.text.count("Sentence 5 of the story") == 3 and not body.doubtful


def test_paragraphs_before_what_resiliparse_kept_are_the_opening_a_single_line_is_a_byline():
    kept = Counter(re.findall(r"\w+", "the story goes on here with more words"))
    opening = Body("First paragraph of the opening.\n\nSecond one.\n\nThe story goes on here with more words")
    assert _opening(opening, kept) == 7
    assert _opening(Body("By A Writer, 3 May 2024\n\nThe story goes on here with more words"), kept) == 0
    assert _opening(Body("Nothing resiliparse kept"), kept) == 0


def test_an_element_whose_id_reads_as_comments_is_chrome_even_when_its_class_reads_as_post_text():
    comments = "".join(f"<p>Reader {i} wrote a long reply, with commas, about the story.</p>" for i in range(6))
    page = page_of(f"<html><body><div class='post-body'><p>{STORY}</p><p>{STORY}</p>"
                   f"<div class='user-post-text' id='comment-text'>{comments}</div></div></body></html>")
    body = density_body(page)
    assert body.text.count("Sentence 5 of the story") == 2 and "Reader" not in body.text


@pytest.mark.parametrize("notice", ["id='cookie-warning'", "class='CookieNotice'"])
def test_a_cookie_notice_above_the_story_is_chrome(notice):
    cookies = "We use cookies to improve your visit, show you content and ads, and measure our audience. " * 8
    # longer than a notice resiliparse's body drops on its own (CONSENT_MAX_CHARS): the choice must leave it out
    page = page_of(f"<html><body><div {notice}><p>{cookies}</p></div><div class='story'><p>{STORY}</p>"
                   f"<p>{STORY}</p></div></body></html>")
    assert "cookies" in resiliparse_body(page).text
    assert "cookies" not in main_content(page).text


def test_a_related_posts_grid_inside_the_story_container_is_chrome():
    teaser = "A teaser of it, long enough to read as prose, with a comma. " * 2
    teasers = "".join(f"<div class='jp-relatedposts-post'><h4>Another post {i}</h4><p>{teaser}</p></div>"
                      for i in range(3))
    page = page_of(f"<html><body><article><div class='entry-content'><p>{STORY}</p><p>{STORY}</p>"
                   f"<div class='jp-relatedposts' id='jp-relatedposts'>{teasers}</div></div></article></body></html>")
    body = density_body(page)
    assert body.text.count("Sentence 5 of the story") == 2 and "teaser" not in body.text


def test_captions_written_outside_figcaption_leave_the_body_but_not_a_no_caption_item():
    html = (f"<html><body><article><div class='story'><p>{STORY}</p><div class='image-caption'>The harbour at dawn."
            f"</div><p>{STORY}</p><div class='Bildunterschrift'>Credit: A Photographer</div><p>{STORY}</p>"
            f"<div class='detail-img__description'>The quay at noon. Photo: A Photographer</div><p>{STORY}</p>"
            f"<div class='item no_caption'>A line the story prints in an item without a caption.</div>"
            f"</div></article></body></html>")
    body = main_content(page_of(html))
    assert body.text.count("Sentence 5 of the story") == 4
    assert "harbour" not in body.text and "Photographer" not in body.text and "without a caption" in body.text
    assert "quay" not in body.text


def test_an_extracted_body_ends_at_its_last_whole_paragraph_not_in_the_teasers_cut_off_after_it():
    teasers = [line for i in range(3) for line in (
        f"Another story {i}", f"The first lines of another story {i}, long enough to read as prose on its own, "
        "cut off...", "Read More")]
    body = trimmed(Body("\n\n".join([STORY, STORY + " It ends with a full stop.", *teasers])))
    assert body.text.endswith("It ends with a full stop.") and "Another story" not in body.text
    assert trimmed(Body(f"{STORY}\n\nA long last paragraph that trails off, as some stories end, with an ellipsis...")
                   ).text.endswith("ellipsis...")


def test_a_label_only_screen_readers_are_shown_is_not_a_block_of_the_body():
    skip = '<a class="visually-hidden skip-to-text-link" href="#story-continues-1">Continue reading the main story</a>'
    hidden_story = "A hidden paragraph of the story itself, long enough that no screen reader's label is this long."
    page = page_of(f"<html><body><article><p>{STORY}</p>{skip}<p class='sr-only'>{hidden_story}</p></article>"
                   "</body></html>")
    body = Body("\n\n".join([STORY, "Continue reading the main story", STORY, hidden_story]))
    assert without_screen_reader_labels(body, page).text == "\n\n".join([STORY, STORY, hidden_story])


def test_a_cookie_notice_the_page_opens_or_closes_with_is_not_the_story():
    notice = ("We use cookies and other tracking technologies to improve your browsing experience on our site. To find "
              "out more or to opt-out, please read our Cookie Policy.")
    accept = "By choosing I Accept, you consent to our use of cookies and other tracking technologies."
    story_about_cookies = "The bakery sold 300 cookies on Saturday, and the owner said she would accept more orders."
    body = trimmed(Body("\n\n".join([notice, accept, STORY, story_about_cookies, STORY, notice])))
    assert body.text == "\n\n".join([STORY, story_about_cookies, STORY])
    assert trimmed(Body(f"{story_about_cookies}\n\n{STORY}")).text.startswith("The bakery")  # no notice: a story


def test_the_generic_body_leaves_out_the_headline_the_extractors_kept_above_the_story():
    long_title = "A headline long enough to pass for a paragraph of prose when measured by its characters alone"
    for title in ("The headline", long_title):
        page = page_of(f"<html><head><meta property='og:title' content='{title}'></head><body><article>"
                       f"<h2>{title}</h2><p>{STORY}</p><p>{STORY}</p><h2>{title}</h2><p>{STORY}</p></article></body></html>")
        body = main_content(page)
        assert body.text.startswith("Sentence 0 of the story") and body.text.count(title) == 1  # kept inside the story
        assert body.markdown.startswith("Sentence 0 of the story") and f"## {title}" in body.markdown



def test_a_story_only_in_nextjs_flight_data_is_the_body_without_its_captions_and_ad_slots():
    # Hankook Ilbo's article page (2026): React renders the story in the browser; the document holds a
    # spinner, the story's HTML is a text row ("24:T<length>,") of the flight data its scripts push
    lead = "장동혁 국민의힘 대표가 당권을 위협하던 한동훈 전 대표를 제명했지만, 어깨는 한층 무거워졌다."
    rest = "'윤 어게인' 세력과의 단절을 통한 외연 확장이 절실하지만, 강성 지지층 목소리가 거세질 수밖에 없다. " * 8
    heading = "당권파, 인재영입위 발족 등 조기 지방선거 체제 전환"
    story = ('<div class="editor-img-box"><img src="https://newsimg.example/a.jpg" ><div class="caption">'
             '<p>장동혁(맨 앞) 국민의힘 대표가 국기에 경례하고 있다. 연합뉴스</p></div></div>$$ARTICLEAD$$'
             f'<p class="editor-p"><strong>{lead}</strong> {rest}</p><h2 class="editor-h2">{heading}</h2>'
             '<p class="editor-p">국민의힘은 조만간 인재영입위원회를 발족할 방침이다.</p>')
    pushes = [[0], [1, '1:"$Sreact.fragment"\n23:I[40018,[],"HydrationBoundary"]\n'],
              [1, f'26:I[49594,[],"IconMark"]\n24:T{len(story.encode()):x},'], [1, story],
              [1, '25:["$","div",null,{}]\n']]
    scripts = "".join(f"<script>self.__next_f.push({json.dumps(p)})</script>" for p in pushes)
    html = ('<html lang="ko"><head><meta property="og:type" content="article"><title>장동혁-정치ㅣ한국일보</title>'
            '</head><body><main><template id="B:0"></template><div style="min-height:200px"><svg></svg></div>'
            f'</main>{scripts}</body></html>')
    found = extract_fields(page_of(html, "https://www.hankookilbo.com/news/article/A2026012914320005196"))
    body = found.values["body"]
    assert found.winners["body"] == "flight"
    assert body.text.split("\n\n")[:2] == [f"{lead} {rest.strip()}", heading] and body.text.count("\n\n") == 2
    assert "연합뉴스" not in body.text and "$$" not in body.text
    assert body.markdown.split("\n\n")[1] == f"## {heading}"
