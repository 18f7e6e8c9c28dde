"""The generic body: resiliparse's main content weighed against the story's containers found by prose density.

The two extractors fail differently, measured on the public corpora (``benchmarks/eval_corpora.py``):
resiliparse keeps the story whole but often keeps what follows it too (teasers, comments), and now and
then finds almost nothing or starts after the story's opening; the density containers are precise but
sometimes miss a part. So the density body wins when it is the resiliparse text trimmed a little (nearly
all of its words are in it and it keeps at least ``TRIM_MIN_SHARE`` of them, or less when what it left out
is mostly the words of page chrome, ``CHROME_SHARE``; with only most of its words in it when what it left
out is nearly all chrome, ``ALL_CHROME``), when resiliparse found far less (``FAR_MORE`` times fewer
words), when it holds at least half of resiliparse's words and what only resiliparse kept is mostly not
sentences (teaser cards, times, labels: ``SHORT_PROSE_SHARE``), or when it holds resiliparse's text and what
only it kept is mostly paragraphs before it (the opening, ``OPENING_SHARE``) or mostly long paragraphs (a part of
the story resiliparse cut off or left out, ``LONG_BLOCK_WORDS``, ``LONG_SHARE``); otherwise resiliparse's, marked
``doubtful`` unless the two agree (each holds ``INSIDE_SHARE`` of the other's words): a doubtful body lowers the
record's quality, which is what hands a page to the fallback extractor (``BODY_FALLBACK``). Token counts as the
benchmark scores them: word characters.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from broadsheet.extract.body import (
    Body,
    reads_as_sentence,
    resiliparse_body,
    whole_article_body,
    with_markdown,
    without_captions,
    without_headline,
    without_screen_reader_labels,
)
from broadsheet.extract.body_density import chrome_words, density_body
from broadsheet.extract.body_standfirst import with_standfirst
from broadsheet.extract.page import Page
from broadsheet.normalize.text import BLOCK_SEPARATOR

INSIDE_SHARE = 0.9
"""The share of the density body's words that must be in resiliparse's text for it to be a trimmed copy."""
TRIM_MIN_SHARE = 0.8
"""A trimmed copy keeps at least this share of resiliparse's words (less: it missed part of the story)."""
CHROME_SHARE = 0.5
"""A shorter trimmed copy still wins when at least this share of the words only resiliparse kept are page chrome's."""
MOSTLY_INSIDE_SHARE = 0.8
ALL_CHROME = 0.9
"""A shorter density body with only ``MOSTLY_INSIDE_SHARE`` of its words in resiliparse's still wins when what only
resiliparse kept is nearly all page chrome's words (``ALL_CHROME``): comments it took for the story."""
FAR_MORE = 6
"""The density body wins outright when it has this many times resiliparse's words."""
OPENING_SHARE = 0.8
"""A longer density body holding resiliparse's text wins when this share of what only it kept comes before
resiliparse's first block: the story's opening paragraphs, which resiliparse now and then starts after."""
LONG_BLOCK_WORDS = 40
LONG_SHARE = 0.8
"""A longer density body holding resiliparse's text also wins when this share of the words of its blocks that
resiliparse's text does not show are in blocks of ``LONG_BLOCK_WORDS`` words or more with a sentence's end in them:
paragraphs of the story that resiliparse cut off or left out (a tour list, an embedded post),
where page chrome (menus, labels, teaser titles, comment headers) comes in short blocks or, run together, without
a sentence's end (a list of links to other stories). Measured with the referee on the corpora's records:
6 pages better (up to +0.35 F1), 1 worse by 0.04; +0.77 F1 points in all, body F1 >= 0.9 on 527 pages instead
of 524. Asking only half of resiliparse's words changed no record (the one more page it changed takes its body
from JSON-LD)."""
KEPT_MIN_SHARE = 0.5
"""The share of resiliparse's words a shorter density body keeps at least for the not-sentences rule below."""
SHORT_PROSE_SHARE = 0.5
"""A shorter density body with at least ``KEPT_MIN_SHARE`` of resiliparse's words, most of its own in them
(``MOSTLY_INSIDE_SHARE``), also wins when what only resiliparse kept is mostly not sentences (less than
``SHORT_PROSE_SHARE`` of its words in blocks that read as sentences): teaser cards, times, polls, labels and
buttons around the story, which resiliparse keeps and the density body does not show. Measured on the corpora:
five pages better, none worse; counting only 120-character paragraphs as prose instead took a Wikipedia table's
short rows for chrome."""
_WORDS = re.compile(r"\w+")
_HAN_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_SENTENCE_BREAK = re.compile("[.!?](?:\\s|$)|[\u3002\uff01\uff1f]")


def _block_words(block: str) -> int:
    """A block's length in words, a Chinese or Japanese text's as two characters a word (it runs its words
    together: a paragraph of it is a few ``\\w`` runs between commas)."""
    runs = _WORDS.findall(block)
    han = len(_HAN_KANA.findall(block))
    return len(runs) + han // 2 - sum(1 for run in runs if _HAN_KANA.match(run)) if han else len(runs)


def main_content(page: Page) -> Body | None:
    """The generic extractors' body for this page (see the module's rule), with its Markdown, without the headline,
    captions and screen readers' labels, and with the standfirst the page shows above the story
    (``body_standfirst``)."""
    body = _chosen(page)
    if body is None:
        return None
    body = without_screen_reader_labels(without_captions(without_headline(body, page), page), page)
    return with_standfirst(body, page)


def json_ld_body(page: Page) -> Body | None:
    """JSON-LD ``articleBody`` when whole (``whole_article_body``), with the standfirst the page shows above
    the story: the structured body seldom holds it."""
    body = whole_article_body(page)
    return with_standfirst(body, page) if body is not None else None


def _opening(dense: Body, words: Counter) -> int:
    """How many words of the density body come before its first block that is mostly in ``words`` (resiliparse's),
    when they are paragraphs (two blocks or more; one is a dateline or a byline); else 0."""
    count = 0
    for index, block in enumerate(dense.text.split(BLOCK_SEPARATOR)):
        found = Counter(_WORDS.findall(block.lower()))
        size = sum(found.values())
        if size and sum((found & words).values()) >= size / 2:
            return count if index >= 2 else 0
        count += size
    return 0


def _unshown_blocks(body: Body, other: Body) -> list[str]:
    """The blocks of ``body`` that ``other`` does not show (its text, spaces aside, does not hold theirs)."""
    shown = "".join(other.text.split())
    return [block for block in body.text.split(BLOCK_SEPARATOR) if "".join(block.split()) not in shown]


def _left_out_prose(extracted: Body, dense: Body) -> float:
    """The share of the words of resiliparse's blocks that the density body does not show that are in blocks
    reading as sentences (``reads_as_sentence``); 1 when it shows all."""
    left, prose = 0, 0
    for block in _unshown_blocks(extracted, dense):
        size = len(_WORDS.findall(block))
        left += size
        prose += size if reads_as_sentence(block) else 0
    return prose / left if left else 1.0


def _added_in_long_blocks(dense: Body, extracted: Body) -> float:
    """The share of the words of the density body's blocks that resiliparse's text does not show that are in
    paragraphs: blocks of ``LONG_BLOCK_WORDS`` words or more with a sentence's end in them (a run of link titles
    has none); 0 when it shows all."""
    added = long = 0
    for block in _unshown_blocks(dense, extracted):
        size = _block_words(block)
        added += size
        long += size if size >= LONG_BLOCK_WORDS and _SENTENCE_BREAK.search(block) else 0
    return long / added if added else 0.0


def _chosen(page: Page) -> Body | None:
    extracted, dense = resiliparse_body(page), density_body(page)
    if extracted is None or dense is None:
        return dense or (with_markdown(extracted, page) if extracted else None)
    words, dense_words = Counter(_WORDS.findall(extracted.text.lower())), Counter(_WORDS.findall(dense.text.lower()))
    total, dense_total = sum(words.values()), sum(dense_words.values())
    shared = sum((words & dense_words).values())
    if dense_total >= FAR_MORE * total:
        return dense
    if shared >= INSIDE_SHARE * dense_total and TRIM_MIN_SHARE * total <= dense_total <= total:
        return dense
    if shared >= MOSTLY_INSIDE_SHARE * dense_total and dense_total < TRIM_MIN_SHARE * total:
        extra = words - dense_words  # what only resiliparse kept: chrome (comments, teasers) or a missed part?
        chrome = sum((extra & chrome_words(page.root)).values())
        if chrome >= (CHROME_SHARE if shared >= INSIDE_SHARE * dense_total else ALL_CHROME) * sum(extra.values()):
            return dense
        if dense_total >= KEPT_MIN_SHARE * total and _left_out_prose(extracted, dense) < SHORT_PROSE_SHARE:
            return dense
    if shared >= INSIDE_SHARE * total and dense_total > total and (
            _opening(dense, words) >= OPENING_SHARE * (dense_total - shared)
            or _added_in_long_blocks(dense, extracted) >= LONG_SHARE):
        return dense
    agreed = shared >= INSIDE_SHARE * dense_total and shared >= INSIDE_SHARE * total
    return with_markdown(replace(extracted, doubtful=not agreed), page)
