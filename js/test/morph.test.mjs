// morph.js: the page's morph library, and what a morph keeps (docs/client.md, "What a patch keeps").
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, installDOM as install } from "./harness.mjs";

// idiomorph reads these globals too.
function installDOM(html) {
  const window = install(html);
  for (const name of ["Document", "DOMParser", "HTMLTemplateElement", "Element"]) globalThis[name] = window[name];
  return window;
}

const { Idiomorph } = await import("idiomorph");
const morphdom = (await import("morphdom")).default;
const alpinePlugin = (await import("@alpinejs/morph/dist/module.esm.js")).default;

// Each library installed on window as a page installs it. Alpine's morph needs Alpine running,
// which happy-dom does not carry: tests/browser/test_dom.py morphs with it in Chromium.
const LIBRARIES = {
  idiomorph: (w) => (w.Idiomorph = Idiomorph),
  morphdom: (w) => (w.morphdom = morphdom),
};

const PAGE = `<!doctype html><html><body><ul id="cards">
  <li id="card-1"><input id="t1" name="title" value="one"></li>
  <li id="card-2"><input id="t2" name="title" value="two"></li>
</ul><input id="other" value="x"></body></html>`;

const card = (id, title) => `<li id="card-${id}"><input id="t${id}" name="title" value="${title}"></li>`;

test("morpher: none without a library; Alpine's plugin, then idiomorph, then morphdom", async () => {
  const window = installDOM(PAGE);
  const { morpher } = await client("morph.js");
  assert.equal(morpher(), null);
  LIBRARIES.morphdom(window);
  assert.equal(morpher().name, "morphdom");
  LIBRARIES.idiomorph(window);
  assert.equal(morpher().name, "idiomorph");
  alpinePlugin((window.Alpine = {}));
  assert.equal(morpher().name, "alpine");
});

for (const name of Object.keys(LIBRARIES)) {
  test(`${name}: a new card above keeps the focused, changed field: node, value, caret`, async () => {
    const window = installDOM(PAGE);
    LIBRARIES[name](window);
    const { morpher } = await client("morph.js");
    const { swapInto } = await client("dom.js");
    const doc = window.document;
    const field = doc.getElementById("t2");
    field.focus();
    field.value = "two, edited";
    field.setSelectionRange(3, 5);
    doc.getElementById("t1").value = "typed but not focused";
    const added = swapInto(doc.getElementById("cards"), "inner", card(3, "three") + card(1, "ONE") + card(2, "TWO"), { lib: morpher() });
    assert.deepEqual(added.map((el) => el.id), ["card-3", "card-1", "card-2"]);
    assert.equal(doc.getElementById("t2"), field, "the edited field is the same element");
    assert.equal(doc.activeElement, field);
    assert.equal(field.value, "two, edited");
    assert.equal(field.defaultValue, "TWO", "the server's value becomes the field's default");
    assert.deepEqual([field.selectionStart, field.selectionEnd], [3, 5]);
    assert.equal(doc.getElementById("t1").value, "ONE", "an unfocused field takes the server's value");
    assert.equal(doc.getElementById("t3").value, "three");
  });

  test(`${name}: a focused field the user did not change takes the server's value`, async () => {
    const window = installDOM(PAGE);
    LIBRARIES[name](window);
    const { morpher } = await client("morph.js");
    const { swapInto } = await client("dom.js");
    const doc = window.document;
    doc.getElementById("t1").focus();
    swapInto(doc.getElementById("cards"), "inner", card(1, "new one") + card(2, "two"), { lib: morpher() });
    assert.equal(doc.getElementById("t1").value, "new one");
    assert.equal(doc.activeElement.id, "t1");
  });

  test(`${name}: outer keeps the element and returns it as the new content`, async () => {
    const window = installDOM(PAGE);
    LIBRARIES[name](window);
    const { morpher } = await client("morph.js");
    const { swapInto } = await client("dom.js");
    const doc = window.document;
    const li = doc.getElementById("card-1");
    li.marker = "kept";
    const added = swapInto(li, "outer", '<li id="card-1" class="done"><input id="t1" name="title" value="1"></li>', { lib: morpher() });
    assert.equal(doc.getElementById("card-1").marker, "kept");
    assert.equal(doc.getElementById("card-1").className, "done");
    assert.deepEqual(added, [doc.getElementById("card-1")]);
  });
}

test("outer with several elements replaces (no library morphs a list into one element)", async () => {
  const window = installDOM(PAGE);
  LIBRARIES.idiomorph(window);
  const { morpher } = await client("morph.js");
  const { swapInto } = await client("dom.js");
  const doc = window.document;
  const added = swapInto(doc.getElementById("card-1"), "outer", card(7, "a") + card(8, "b"), { lib: morpher() });
  assert.deepEqual(added.map((el) => el.id), ["card-7", "card-8"]);
  assert.deepEqual([...doc.querySelectorAll("#cards li")].map((el) => el.id), ["card-7", "card-8", "card-2"]);
});

test("without a library the focused field is replaced, and focus and caret come back by id", async () => {
  const window = installDOM(PAGE);
  const { swapInto, focusState, restoreFocus } = await client("dom.js");
  const doc = window.document;
  const field = doc.getElementById("t2");
  field.focus();
  field.value = "edited";
  field.setSelectionRange(2, 2);
  const state = focusState();
  swapInto(doc.getElementById("cards"), "inner", card(1, "one") + card(2, "two"));
  restoreFocus(state);
  const again = doc.getElementById("t2");
  assert.notEqual(again, field);
  assert.equal(doc.activeElement, again);
  assert.equal(again.value, "two", "the fallback keeps focus and caret, not the typed text");
  assert.deepEqual([again.selectionStart, again.selectionEnd], [2, 2]);
});

test("a patch answering the action whose source holds the focused field gives it the server's value", async () => {
  const window = installDOM(`<!doctype html><html><body><form id="add"><input id="new" name="title" value=""></form></body></html>`);
  LIBRARIES.idiomorph(window);
  const { morpher } = await client("morph.js");
  const { swapInto } = await client("dom.js");
  const doc = window.document;
  const field = doc.getElementById("new");
  field.focus();
  field.value = "Write the docs";
  swapInto(field, "outer", '<input id="new" name="title" value="">', { lib: morpher(), source: doc.getElementById("add") });
  assert.equal(doc.getElementById("new").value, "", "the submitted form is cleared as the server says");
  assert.equal(doc.activeElement.id, "new");
  field.value = "typing again";
  swapInto(field, "outer", '<input id="new" name="title" value="">', { lib: morpher(), source: null });
  assert.equal(doc.getElementById("new").value, "typing again", "a push keeps what the user types");
});
