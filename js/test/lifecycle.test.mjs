// patch_html's lifecycle, strict targets, first-invalid, view names; signals merged deeply; the
// CSP nonce of load_js; the history entries the client may restore (docs/client.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, installDOM, openSocket, settle, tick } from "./harness.mjs";

const PAGE = `<!doctype html><html><head></head><body>
  <div id="box"><p id="old">old</p></div><p id="after">x</p>
</body></html>`;

/** Sends `data` as a patch_html answering one action; resolves with the action's outcome. */
async function patchOf(env, data, options = {}) {
  const outcome = env.socket.action("a", {}, options).then((v) => ({ ok: v }), (e) => ({ error: e }));
  env.ws.serverSend({ id: String(env.socket.nextId), event: "patch_html", data });
  env.ws.serverSend({ id: String(env.socket.nextId), event: "end", data: {} });
  return outcome;
}

test("swap lifecycle: classes and events in order, through swap_delay and settle_delay", async () => {
  const env = await openSocket(PAGE);
  const doc = env.window.document;
  const seen = [];
  const box = doc.getElementById("box");
  const note = (name) => (e) => seen.push({
    name, detail: e.detail, on: e.target.id,
    swapping: box.classList.contains("hyper-swapping"),
    settling: doc.getElementById("new")?.classList.contains("hyper-settling") ?? null,
  });
  for (const name of ["hyper:swap:start", "hyper:swap:end", "hyper:settle:end"]) env.window.addEventListener(name, note(name));
  const done = patchOf(env, {
    content: '<p id="new" hyper-view-transition-name="hero">new</p>', target: "#box", swap: "inner",
    swap_delay: 40, settle_delay: 40,
  });
  await tick(20);
  assert.deepEqual(seen.map((s) => s.name), ["hyper:swap:start"]);
  assert.ok(box.classList.contains("hyper-swapping"), "swapping during swap_delay");
  assert.equal(doc.getElementById("old")?.id, "old", "not swapped yet");
  await tick(40);
  assert.deepEqual(seen.map((s) => s.name), ["hyper:swap:start", "hyper:swap:end"]);
  assert.ok(!box.classList.contains("hyper-swapping"));
  assert.ok(doc.getElementById("new").classList.contains("hyper-settling"), "settling during settle_delay");
  assert.equal(doc.getElementById("new").style.viewTransitionName, "hero");
  assert.ok((await done).ok);
  await settle(env.socket);
  assert.deepEqual(seen.map((s) => [s.name, s.on, s.swapping, s.settling]), [
    ["hyper:swap:start", "box", true, null],
    ["hyper:swap:end", "box", false, false],
    ["hyper:settle:end", "box", false, false],
  ]);
  assert.deepEqual(seen[0].detail, { target: "#box", swap: "inner", id: "1" });
  assert.equal(doc.getElementById("new").getAttribute("class"), null, "no empty class attribute left");
  assert.equal(box.getAttribute("class"), null);
});

test("an outer swap that replaced the target ends its lifecycle on the new element", async () => {
  const env = await openSocket(PAGE);
  const on = [];
  for (const name of ["hyper:swap:start", "hyper:swap:end", "hyper:settle:end"]) {
    env.window.addEventListener(name, (e) => on.push([name, e.target.id, e.target.isConnected]));
  }
  await patchOf(env, { content: '<section id="box2">s</section>', target: "#box" });
  assert.deepEqual(on, [
    ["hyper:swap:start", "box", true], ["hyper:swap:end", "box2", true], ["hyper:settle:end", "box2", true],
  ]);
});

test("strict targets: per event, per call, <body hyper-strict-targets>, the socket's option", async () => {
  const missing = { content: "x", target: "#nope" };
  let env = await openSocket(PAGE);
  assert.ok((await patchOf(env, missing)).ok, "skipped by default");
  assert.equal((await patchOf(env, missing, { strictTargets: true })).error.status, 404);
  assert.ok((await patchOf(env, { ...missing, strict_targets: false }, { strictTargets: true })).ok, "the event wins");
  env = await openSocket(PAGE.replace("<body>", "<body hyper-strict-targets>"));
  assert.equal((await patchOf(env, missing)).error.status, 404);
  assert.ok((await patchOf(env, missing, { strictTargets: false })).ok, "the call wins over the page");
  env = await openSocket(PAGE, { strictTargets: true });
  assert.equal((await patchOf(env, missing)).error.message, "Target not found: #nope");
});

test("first-invalid: aria-invalid, then Django's errorlist, then :invalid", async () => {
  const form = (first) => `<form id="box">${first}
    <ul class="errorlist"><li>Required.</li></ul><textarea name="body"></textarea>
    <input name="code" aria-invalid="true"></form>`;
  const env = await openSocket(PAGE);
  const doc = env.window.document;
  await patchOf(env, { content: form('<input name="a">'), target: "#box", focus: "first-invalid" });
  assert.equal(doc.activeElement.name, "code");
  await patchOf(env, { content: form('<input name="a">').replace(' aria-invalid="true"', ""), target: "#box", focus: "first-invalid" });
  assert.equal(doc.activeElement.name, "body", "Django's errorlist markup, before the document's order");
});

test("signals merge objects deeply into objects; anything else replaces", async () => {
  installDOM();
  const { mergeSignal } = await client("apply.js");
  const scope = { stats: { present: 1, cards: 4, by: { ann: 1, bob: 2 } }, list: [1, 2], n: 1 };
  mergeSignal(scope, "stats", { present: 2, by: { ann: 3 } });
  mergeSignal(scope, "list", [3]);
  mergeSignal(scope, "n", { now: "an object" });
  mergeSignal(scope, "fresh", { a: { b: 1 } });
  assert.deepEqual(scope, {
    stats: { present: 2, cards: 4, by: { ann: 3, bob: 2 } }, list: [3], n: { now: "an object" }, fresh: { a: { b: 1 } },
  });
  const sent = { a: { b: 1 } };
  mergeSignal(scope, "copy", sent);
  scope.copy.a.b = 2;
  assert.equal(sent.a.b, 1, "the event's data is copied, never shared");
});

test("load_js carries the nonce of the client's script, else <meta name=csp-nonce>", async () => {
  let env = await openSocket(`<!doctype html><html><head><meta name="csp-nonce" content="from-meta">
    <script type="module" nonce="from-entry" src="/static/hyperchannels/hyperchannels.js"></script></head><body></body></html>`);
  const { pageNonce } = await client("apply.js");
  assert.equal(pageNonce(), "from-meta", "happy-dom's entry URL is the file's, not the page's: the meta answers");
  env.ws.serverSend({ event: "load_js", data: { src: "/static/one.js" } });
  await settle(env.socket);
  assert.equal(env.window.document.querySelector('script[src$="one.js"]').nonce, "from-meta");
  env = await openSocket("<!doctype html><html><head></head><body></body></html>");
  assert.equal(pageNonce(), "");
  env.ws.serverSend({ event: "load_js", data: { src: "/static/two.js" } });
  await settle(env.socket);
  assert.equal(env.window.document.querySelector('script[src$="two.js"]').hasAttribute("nonce"), false);
});

test("history: a push marks both entries restorable; pop targets", async () => {
  const env = await openSocket(`<!doctype html><html><body><main id="m" hyper-pop-target>a</main></body></html>`);
  const doc = env.window.document;
  env.window.history.replaceState({ app: 1 }, "");
  env.ws.serverSend({ event: "history", data: { push_url: "/two/" } });
  await settle(env.socket);
  assert.equal(env.window.location.pathname, "/two/");
  assert.deepEqual(env.window.history.state, { hyperchannels: true });
  const { popTarget } = await client("history.js");
  assert.equal(popTarget(doc).id, "m");
  const other = new env.window.DOMParser().parseFromString(
    '<body hyper-pop-target="#content"><div id="content">c</div></body>', "text/html");
  assert.equal(popTarget(other).id, "content", "HyperDjango's form: the attribute names the region");
  assert.equal(popTarget(other, "#nope"), other.body);
});
