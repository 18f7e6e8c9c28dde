"""The standfirst a page shows above its story joins the generic body; what only looks like one does not."""

from __future__ import annotations

import json

import pytest
from scrapy.http import HtmlResponse, Request

from broadsheet.extract.body_main import main_content
from broadsheet.extract.fields import extract_fields
from broadsheet.extract.page import Page

STORY = " ".join(f"Sentence {i} of the story, with a comma, tells what happened next." for i in range(6))
SUMMARY = "The minister resigned on Friday after a week of pressure. Her deputy takes over until the election."


def page(head: str, lead: str, story: str = f"<p>{STORY}</p><p>{STORY}</p><p>{STORY}</p>") -> Page:
    html = f"""<html><head>{head}</head><body><nav><a href="/">Home</a></nav><main>
    <div class="story-head"><h1>Minister resigns</h1>{lead}<div class="meta">22.11.2024 07.57</div></div>
    <div class="story-text">{story}</div></main>
    <footer><p>Copyright and addresses, long enough to look like a paragraph.</p></footer></body></html>"""
    url = "https://news.example/2024/story"
    return Page(HtmlResponse(url=url, body=html.encode(), encoding="utf-8", request=Request(url)))


DESCRIBED = f'<meta name="description" content="{SUMMARY}">'


@pytest.mark.parametrize("head, lead", [
    (DESCRIBED, f"<p><strong>{SUMMARY}</strong></p>"),  # the page's description, shown as a block
    ('<meta name="description" content="Something else entirely, written for search engines only.">',
     f'<div class="article__excerpt">{SUMMARY}</div>'),  # named as one, whatever the description says
    ("", f'<p class="lead-text">{SUMMARY}</p>'),
    (f'<script type="application/ld+json">{{"@type": "NewsArticle", "description": "{SUMMARY}"}}</script>',
     f"<div>{SUMMARY}</div>"),
])
def test_a_shown_standfirst_opens_the_body_before_the_story_in_text_and_markdown(head, lead):
    body = main_content(page(head, lead))
    assert body.text.startswith(SUMMARY + "\n\nSentence 0 of the story")
    assert body.text.count(SUMMARY) == 1
    assert body.markdown.startswith(SUMMARY + "\n\nSentence 0 of the story")


@pytest.mark.parametrize("head, lead", [
    (DESCRIBED, ""),  # described but not shown
    ("", f'<div class="lead-image"><img src="a.jpg">{SUMMARY}</div>'),  # a lead image with its caption
    (DESCRIBED, f'<figure><img src="a.jpg"><p class="caption">{SUMMARY}</p></figure>'),  # a picture's caption
    ("", f'<div class="intro" hidden>{SUMMARY}</div>'),  # hidden (a paywall's stand-in)
    ("", f'<aside><p class="lead">{SUMMARY}</p></aside>'),  # page chrome
    ("", '<p class="lead">Breaking news</p>'),  # a label, not sentences
    (DESCRIBED, f"<h1>{SUMMARY}</h1>"),  # a heading is the headline
    (DESCRIBED, f"<h2>{SUMMARY}</h2>"),  # or a subtitle
])
def test_what_is_not_a_shown_standfirst_stays_out(head, lead):
    body = main_content(page(head, lead))
    assert body.text.startswith("Sentence 0 of the story")


def test_a_standfirst_already_in_the_body_is_not_repeated_and_one_far_above_the_story_is_left_out():
    assert main_content(page(DESCRIBED, "", f"<p>{SUMMARY}</p><p>{STORY}</p><p>{STORY}</p>")).text.count(SUMMARY) == 1
    far = f'<p class="lead">{SUMMARY}</p>' + "<nav>" + "<a href='/x'>Other story</a> " * 300 + "</nav>"
    assert main_content(page("", far)).text.startswith("Sentence 0 of the story")


def test_a_whole_json_ld_article_body_gets_the_shown_standfirst_too():
    article = json.dumps({"@type": "NewsArticle", "headline": "Minister resigns",
                          "articleBody": "\n".join([STORY] * 3)})
    found = extract_fields(page(f'<script type="application/ld+json">{article}</script>',
                                f'<p class="standfirst">{SUMMARY}</p>'))
    assert found.winners["body"] == "jsonld:articleBody"
    assert found.values["body"].text.startswith(SUMMARY + "\n\nSentence 0 of the story")
