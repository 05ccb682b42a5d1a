// dom.js: swaps (and their aliases), HTML fragments, focus kept across swaps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { client, installDOM } from "./harness.mjs";

const spec = JSON.parse(readFileSync(new URL("../../hyperchannels/protocol.json", import.meta.url), "utf8"));
const PAGE = '<!doctype html><html><body><ul id="list"><li>b</li></ul><input id="name" name="name" value="abc"></body></html>';

test("every swap and every alias has its canonical name; anything else has none", async () => {
  installDOM();
  const { canonicalSwap } = await client("dom.js");
  for (const swap of spec.swaps) assert.equal(canonicalSwap(swap), swap);
  for (const [alias, swap] of Object.entries(spec.swap_aliases)) assert.equal(canonicalSwap(alias), swap);
  for (const name of ["sideways", "constructor", "__proto__", "toString", undefined]) assert.equal(canonicalSwap(name), null);
});

test("swapInto under an alias name does what the canonical swap does, and returns the added elements", async () => {
  const window = installDOM(PAGE);
  const { swapInto } = await client("dom.js");
  const list = () => window.document.getElementById("list");
  const added = swapInto(list(), "beforeend", "<li>c</li><li>d</li>");
  assert.deepEqual(added.map((n) => n.textContent), ["c", "d"]);
  swapInto(list(), "afterbegin", "<li>a</li>");
  assert.equal(list().textContent, "abcd");
  swapInto(list(), "outerHTML", '<ol id="list"><li>z</li></ol>');
  assert.equal(list().tagName, "OL");
  assert.deepEqual(swapInto(list(), "none", "<b>x</b>"), []);
  swapInto(list(), "delete", "");
  assert.equal(list(), null);
});

test("an unknown swap is a client error (400) and leaves the element alone", async () => {
  const window = installDOM(PAGE);
  const { swapInto } = await client("dom.js");
  const list = window.document.getElementById("list");
  for (const swap of ["sideways", "constructor", "__proto__"]) {
    assert.throws(() => swapInto(list, swap, "<li>x</li>"), (e) => e.name === "HyperError" && e.status === 400 && e.kind === "client");
  }
  assert.equal(list.outerHTML, '<ul id="list"><li>b</li></ul>');
});

test("fragment parses without running scripts", async () => {
  const window = installDOM(PAGE);
  const { fragment } = await client("dom.js");
  window.ran = false;
  const nodes = fragment("<p>x</p><script>window.ran = true</script>");
  window.document.body.append(nodes);
  assert.equal(window.ran, false);
  assert.equal(fragment(null).childNodes.length, 0);
});

test("focus and caret come back to the field that replaced the focused one", async () => {
  const window = installDOM(PAGE);
  const { focusState, restoreFocus, swapInto } = await client("dom.js");
  const input = window.document.getElementById("name");
  input.focus();
  input.setSelectionRange(1, 2);
  const state = focusState();
  swapInto(input, "outer", '<input id="name" name="name" value="abc">');
  restoreFocus(state);
  const again = window.document.getElementById("name");
  assert.notEqual(again, input);
  assert.equal(window.document.activeElement, again);
  assert.deepEqual([again.selectionStart, again.selectionEnd], [1, 2]);
  window.document.activeElement.blur();
  assert.equal(focusState(), null);
});

test("focusFirstInvalid looks among the new elements, else in the document", async () => {
  const window = installDOM('<!doctype html><html><body><input id="x" aria-invalid="true"><div id="d"></div></body></html>');
  const { focusFirstInvalid, swapInto } = await client("dom.js");
  const added = swapInto(window.document.getElementById("d"), "inner", '<p><input id="y" aria-invalid="true"></p>');
  focusFirstInvalid(added);
  assert.equal(window.document.activeElement.id, "y");
  focusFirstInvalid([]);
  assert.equal(window.document.activeElement.id, "x");
});
