// Every event applied to the DOM as docs/client.md says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openSocket, record, settle, tick } from "./harness.mjs";

const PAGE = `<!doctype html><html><head></head><body>
  <div id="box"><p id="inner">old</p></div><ul id="list"><li>b</li></ul>
  <form id="f"><input id="name" name="name" value="hello world"></form>
</body></html>`;

async function patch(data, options = {}) {
  const env = await openSocket(PAGE, options);
  const outcome = env.socket.action("a", {}, { target: options.target }).then((v) => ({ ok: v }), (e) => ({ error: e }));
  env.ws.serverSend({ id: "1", event: "patch_html", data });
  env.ws.serverSend({ id: "1", event: "end", data: {} });
  await settle(env.socket);
  return { ...env, result: await outcome };
}

const html = (window, sel) => window.document.querySelector(sel)?.outerHTML ?? null;

test("inner replaces the children", async () => {
  const { window } = await patch({ content: "<b>new</b>", target: "#box", swap: "inner" });
  assert.equal(html(window, "#box"), '<div id="box"><b>new</b></div>');
});

test("outer (the default) replaces the element", async () => {
  const { window } = await patch({ content: '<section id="box">s</section>', target: "#box" });
  assert.equal(html(window, "#box"), '<section id="box">s</section>');
});

for (const [swap, expected] of [
  ["before", '<i>x</i><ul id="list"><li>b</li></ul>'],
  ["after", '<ul id="list"><li>b</li></ul><i>x</i>'],
  ["prepend", '<ul id="list"><i>x</i><li>b</li></ul>'],
  ["append", '<ul id="list"><li>b</li><i>x</i></ul>'],
]) {
  test(`${swap} inserts`, async () => {
    const { window } = await patch({ content: "<i>x</i>", target: "#list", swap });
    const parent = window.document.body.innerHTML;
    assert.ok(parent.replace(/\s+</g, "<").includes(expected), parent);
  });
}

test("delete removes; none changes nothing", async () => {
  let { window } = await patch({ content: "", target: "#list", swap: "delete" });
  assert.equal(html(window, "#list"), null);
  ({ window } = await patch({ content: "<i>x</i>", target: "#list", swap: "none" }));
  assert.equal(html(window, "#list"), '<ul id="list"><li>b</li></ul>');
});

test("an event without a target uses the invocation's target option", async () => {
  const { window } = await patch({ content: "<b>t</b>", swap: "inner" }, { target: "#box" });
  assert.equal(html(window, "#box"), '<div id="box"><b>t</b></div>');
});

test("a missing target is skipped, or rejects when strict", async () => {
  let { result } = await patch({ content: "x", target: "#nope" });
  assert.ok(result.ok);
  ({ result } = await patch({ content: "x", target: "#nope", strict_targets: true }));
  assert.equal(result.error.status, 404);
  assert.equal(result.error.kind, "client");
  ({ result } = await patch({ content: "x", target: "#nope" }, { strictTargets: true }));
  assert.equal(result.error.status, 404);
  ({ result } = await patch({ content: "x", target: "#nope", strict_targets: false }, { strictTargets: true }));
  assert.ok(result.ok);
});

test("focus preserve keeps the focused field and its caret across an outer swap", async () => {
  const env = await openSocket(PAGE);
  const input = env.window.document.getElementById("name");
  input.focus();
  input.setSelectionRange(2, 5);
  env.ws.serverSend({ event: "patch_html", data: { content: '<form id="f"><input id="name" name="name" value="hello world"></form>', target: "#f" } });
  await settle(env.socket);
  const again = env.window.document.getElementById("name");
  assert.notEqual(again, input);
  assert.equal(env.window.document.activeElement, again);
  assert.deepEqual([again.selectionStart, again.selectionEnd], [2, 5]);
});

test("focus first-invalid and a selector", async () => {
  const env = await openSocket(PAGE);
  env.ws.serverSend({ event: "patch_html", data: {
    content: '<form id="f"><input id="ok"><input id="bad" aria-invalid="true"></form>', target: "#f", focus: "first-invalid" } });
  await settle(env.socket);
  assert.equal(env.window.document.activeElement.id, "bad");
  env.ws.serverSend({ event: "patch_html", data: { content: "<p>x</p>", target: "#inner", swap: "after", focus: "#ok" } });
  await settle(env.socket);
  assert.equal(env.window.document.activeElement.id, "ok");
});

test("swap_delay waits before the swap; settle_delay marks new nodes while settling", async () => {
  const env = await openSocket(PAGE);
  env.ws.serverSend({ event: "patch_html", data: { content: '<p id="n">n</p>', target: "#inner", swap_delay: 60, settle_delay: 60 } });
  await tick(20);
  assert.ok(env.window.document.getElementById("inner"), "swapped too early");
  await tick(70);
  assert.ok(env.window.document.getElementById("n").classList.contains("hyper-settling"));
  await settle(env.socket);
  await tick(80);
  assert.ok(!env.window.document.getElementById("n").classList.contains("hyper-settling"));
});

test("transition runs the swap inside startViewTransition where the browser has it", async () => {
  const env = await openSocket(PAGE);
  let used = 0;
  env.window.document.startViewTransition = (run) => {
    used++;
    run();
    return { updateCallbackDone: Promise.resolve() };
  };
  env.ws.serverSend({ event: "patch_html", data: { content: "<b>v</b>", target: "#box", swap: "inner", transition: true } });
  await settle(env.socket);
  assert.equal(used, 1);
  assert.equal(html(env.window, "#box"), '<div id="box"><b>v</b></div>');
});

test("dispatch_event bubbles a CustomEvent from the target, or fires on window", async () => {
  const env = await openSocket(PAGE);
  const got = [];
  env.window.document.body.addEventListener("saved", (e) => got.push(["body", e.detail]));
  env.window.addEventListener("ping", (e) => got.push(["window", e.detail]));
  env.ws.serverSend({ event: "dispatch_event", data: { name: "saved", payload: { id: 1 }, target: "#inner" } });
  env.ws.serverSend({ event: "dispatch_event", data: { name: "ping" } });
  env.ws.serverSend({ event: "dispatch_event", data: { name: "saved", payload: { id: 2 }, target: "#nowhere" } });
  await settle(env.socket);
  // No payload is {}; a target that matches nothing dispatches nothing (not on window either).
  assert.deepEqual(got, [["body", { id: 1 }], ["window", {}]]);
});

test("dispatch_event to a missing target is an error under strict targets", async () => {
  const env = await openSocket(PAGE, { strictTargets: true });
  const seen = record(env.window, "hyper:requestError");
  env.ws.serverSend({ event: "dispatch_event", data: { name: "x", target: "#nowhere" } });
  await settle(env.socket);
  assert.deepEqual([seen["hyper:requestError"][0].status, seen["hyper:requestError"][0].kind], [404, "client"]);
});

test("dispatch_event follows <body hyper-strict-targets> like patch_html", async () => {
  const env = await openSocket(PAGE);
  env.window.document.body.setAttribute("hyper-strict-targets", "");
  const seen = record(env.window, "hyper:requestError");
  env.ws.serverSend({ event: "dispatch_event", data: { name: "x", target: "#nowhere" } });
  await settle(env.socket);
  assert.equal(seen["hyper:requestError"][0]?.status, 404);
});

test("toast, history, load_js once, hyper:event for every event", async () => {
  const env = await openSocket(PAGE);
  const seen = record(env.window, "hyper:toast", "hyper:event");
  env.ws.serverSend({ event: "toast", data: { message: "hi", type: "success" } });
  env.ws.serverSend({ event: "toast", data: { value: "plain" } });
  env.ws.serverSend({ event: "history", data: { push_url: "/next/" } });
  env.ws.serverSend({ event: "history", data: { replace_url: "/replaced/" } });
  env.ws.serverSend({ event: "load_js", data: { src: "/static/x.js" } });
  env.ws.serverSend({ event: "load_js", data: { src: "/static/x.js" } });
  await settle(env.socket);
  // The detail is the event's data itself (HyperDjango's shape: detail.message, detail.type).
  assert.deepEqual(seen["hyper:toast"], [{ message: "hi", type: "success" }, { value: "plain" }]);
  assert.equal(env.window.location.pathname, "/replaced/");
  assert.equal(env.window.history.length >= 2, true);
  assert.equal(env.window.document.querySelectorAll('script[type="module"]').length, 1);
  assert.deepEqual(seen["hyper:event"].map((d) => d.event), ["toast", "toast", "history", "history", "load_js", "load_js"]);
});

test("redirect assigns or replaces the location", async () => {
  const env = await openSocket(PAGE);
  const went = [];
  env.socket.navigate = (url, replace) => went.push([url, replace]);
  env.ws.serverSend({ event: "redirect", data: { url: "/a", replace: false } });
  env.ws.serverSend({ event: "redirect", data: { url: "/b", replace: true } });
  await settle(env.socket);
  assert.deepEqual(went, [["/a", false], ["/b", true]]);
});

test("patch_signals without Alpine is a hyper:signals event", async () => {
  const env = await openSocket(PAGE);
  const seen = record(env.window, "hyper:signals");
  env.ws.serverSend({ event: "patch_signals", data: { count: 2, $user: "ann" } });
  await settle(env.socket);
  assert.deepEqual(seen["hyper:signals"], [{ count: 2, $user: "ann" }]);
});
