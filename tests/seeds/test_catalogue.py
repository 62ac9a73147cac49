"""The catalogue covers every block of the guides, and the extractor finds them all."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.seeds import (
    test_guide_admin,
    test_guide_async_modes,
    test_guide_examples,
    test_guide_green_commands,
    test_guide_message_queue,
    test_guide_sections,
    test_guide_static_files,
    test_guide_sync,
)
from tests.seeds.catalogue import CATALOGUE, Kind
from tests.seeds.extract import Block, all_blocks, iter_blocks

BLOCKS = {block.key: block for block in all_blocks()}


def describe(block: Block) -> str:
    first = block.text.splitlines()[0]
    return f"{block.key!r} at {block.guide} line {block.line}, digest {block.digest}: {first}"


def test_every_block_is_classified() -> None:
    missing = [describe(b) for key, b in BLOCKS.items() if key not in CATALOGUE]
    assert not missing, "unclassified guide blocks:\n" + "\n".join(missing)


def test_no_entry_without_a_block() -> None:
    stale = sorted(set(CATALOGUE) - set(BLOCKS))
    assert not stale, f"catalogue entries with no block in the guides: {stale}"


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_entry_matches_its_block(key: str) -> None:
    block, entry = BLOCKS[key], CATALOGUE[key]
    assert (entry.digest, entry.line) == (block.digest, block.line), (
        f"the block changed; classify it again: {describe(block)}"
    )


def test_each_kind_carries_what_it_needs() -> None:
    modules = (
        test_guide_admin,
        test_guide_async_modes,
        test_guide_examples,
        test_guide_green_commands,
        test_guide_message_queue,
        test_guide_sections,
        test_guide_static_files,
        test_guide_sync,
    )
    tests = {name for module in modules for name in dir(module) if name.startswith("test_")}
    for key, entry in CATALOGUE.items():
        if entry.kind is Kind.RUN:
            assert entry.test in tests, (key, entry.test)
            assert entry.issue is None and entry.asyncio_form is None, key
        elif entry.kind is Kind.LATER:
            assert entry.issue is not None and entry.test is None, key
            assert entry.asyncio_form is None or entry.asyncio_form in tests, key
        else:
            assert entry.test is entry.issue is entry.asyncio_form is None, key
        assert entry.reason, key


def test_classification_summary() -> None:
    """The counts in the report; a reclassification updates them on purpose."""
    kinds = Counter(entry.kind for entry in CATALOGUE.values())
    assert (kinds[Kind.RUN], kinds[Kind.LATER], kinds[Kind.PROSE]) == (89, 0, 7)
    assert len(CATALOGUE) == len(BLOCKS) == 96


# --- the extractor ------------------------------------------------------------

SAMPLE = """\
Title
=====

Intro paragraph, then a block::

    import socketio
    sio = socketio.AsyncServer()

Sub section
-----------

.. note::
   A directive ends with two colons too, but holds prose.

An expanded form:

::

    @sio.event
    def a(sid):

        pass

A paragraph ending mid-sentence with a::
colon pair does not open a block.

Text ending at the file's end::

   last block
"""


def test_extractor_finds_literal_blocks_only() -> None:
    blocks = list(iter_blocks("sample", SAMPLE))
    assert [(b.key, b.line) for b in blocks] == [
        ("sample:Title#1", 6),
        ("sample:Sub section#1", 19),
        ("sample:Sub section#2", 29),
    ]
    assert blocks[0].text == "import socketio\nsio = socketio.AsyncServer()\n"
    # Blank lines inside a block belong to it; indentation is relative to the block.
    assert blocks[1].text == "@sio.event\ndef a(sid):\n\n    pass\n"
    assert blocks[2].text == "last block\n"


def test_extractor_keys_survive_edits_elsewhere() -> None:
    edited = SAMPLE.replace("Intro paragraph", "A much longer\nintro paragraph")
    before = {b.key: b.digest for b in iter_blocks("sample", SAMPLE)}
    after = {b.key: b.digest for b in iter_blocks("sample", edited)}
    assert before == after
    changed = SAMPLE.replace("    pass", "    return 1")
    assert {b.key: b.digest for b in iter_blocks("sample", changed)} != before
