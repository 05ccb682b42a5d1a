"""The example board morphs (idiomorph from js/node_modules): a card being edited keeps the
user's text, focus and caret while another user's card arrives (docs/client.md, "What a patch
keeps")."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.example.conftest import Example, open_page
from tests.servers import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.daphne, pytest.mark.redis]


def editing(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate("""() => {
      const el = document.activeElement;
      return { id: el.id, value: el.value, caret: [el.selectionStart, el.selectionEnd],
               same: el === window.editing };
    }""")
    )


def test_ann_keeps_her_edit_while_bobs_card_arrives(browser: Any, example: Example) -> None:
    board = f"/board/m-{uuid.uuid4().hex[:8]}/"
    ann_context, bob_context = browser.new_context(), browser.new_context()
    try:
        ann, bob = open_page(ann_context, example, board), open_page(bob_context, example, board)
        ann.wait_for_function("!!window.Idiomorph")
        bob.fill("#new-title", "Write the docs")
        bob.press("#new-title", "Enter")
        ann.wait_for_selector("#cards li input[name=title]")
        card = ann.get_attribute("#cards li", "id")
        ann.click(f"#{card}-title")
        ann.keyboard.press("End")
        ann.keyboard.type(" and the tests")
        for _ in range(10):
            ann.keyboard.press("ArrowLeft")
        ann.evaluate("window.editing = document.activeElement")
        before = editing(ann)
        assert before == {
            "id": f"{card}-title",
            "value": "Write the docs and the tests",
            "caret": [18, 18],
            "same": True,
        }

        bob.fill("#new-title", "Ship it")
        bob.press("#new-title", "Enter")
        ann.wait_for_function("document.querySelectorAll('#cards li').length === 2", timeout=5000)
        assert editing(ann) == before
        # Bob's own form was cleared by his action's answer (the server's value wins there).
        assert bob.input_value("#new-title") == ""
        # The nested signal: `board.cards` arrived, `board.present` is still shown.
        ann.wait_for_function("document.querySelector('#card-count').textContent === '2'")
        assert ann.text_content("#present") == "2"

        screenshot = (
            ROOT / "docs" / "board-editing.png"
            if os.environ.get("UPDATE_SCREENSHOTS")
            else Path(os.environ.get("TMPDIR", "/tmp")) / "hyperchannels-board-editing.png"
        )
        ann.set_viewport_size({"width": 900, "height": 560})
        ann.screenshot(path=str(screenshot))
        assert screenshot.stat().st_size > 5000
        assert editing(ann) == before

        # Ann saves: her text goes to bob.
        ann.keyboard.press("Enter")
        bob.wait_for_function(
            f"document.querySelector('#{card}-title').value === 'Write the docs and the tests'", timeout=5000
        )
    finally:
        ann_context.close()
        bob_context.close()
