// loading.js through socket.action: the hyper-loading family, aria-busy on <html>, the source and targets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openSocket, settle, tick } from "./harness.mjs";

const PAGE = `<!doctype html><html><body>
  <p id="any" hyper-loading>any</p>
  <p id="global" hyper-loading="global">global</p>
  <p id="lane" hyper-loading="search">lane</p>
  <p id="lane2" hyper-loading-key="search">lane by hyper-loading-key</p>
  <p id="act" hyper-loading-action="save">action</p>
  <section id="dim" hyper-loading hyper-loading-class="dim faded">stays visible</section>
  <section id="unhide" class="hidden" hyper-loading-action="save" hyper-loading-remove-class="hidden">x</section>
  <p id="late" hyper-loading hyper-loading-delay="40">late</p>
  <button id="off" hyper-loading-disable>any</button>
  <button id="offlane" hyper-loading-disable="search">lane</button>
  <button id="offkey" hyper-loading-disable-key="search">lane by key</button>
  <button id="offact" hyper-loading-disable hyper-loading-action="save" hyper-loading-class="busy">action</button>
  <button id="already" disabled hyper-loading-disable>was disabled</button>
  <button id="src" hyper-target-busy>source</button>
  <div id="results"></div>
  <aside id="mirror" hyper-target-busy="#results"></aside>
</body></html>`;

const quiet = (promise) => promise.catch(() => {}); // pending when the test closes the socket
const $ = (window, id) => window.document.getElementById(id);
const shown = (window, ...ids) => ids.filter((id) => !$(window, id).hidden);

test("idle: hyper-loading elements are hidden (aria-hidden) once connect() serves the page", async () => {
  const { window, socket } = await openSocket(PAGE);
  assert.deepEqual(shown(window, "any", "global", "lane", "lane2", "act", "late"), []);
  assert.equal($(window, "any").getAttribute("aria-hidden"), "true");
  assert.deepEqual(shown(window, "dim", "unhide"), ["dim", "unhide"], "with a class they stay visible");
  assert.ok($(window, "unhide").classList.contains("hidden"));
  assert.equal(window.document.documentElement.getAttribute("aria-busy"), null);
  socket.close();
});

test("any call shows the unscoped ones, a lane's call its key's, an action's call its name's", async () => {
  const { window, socket, ws } = await openSocket(PAGE);
  const html = window.document.documentElement;
  quiet(socket.action("other", {}));
  assert.deepEqual(shown(window, "any", "global", "lane", "lane2", "act"), ["any", "global"]);
  assert.equal(html.getAttribute("aria-busy"), "true");
  assert.ok($(window, "dim").classList.contains("dim") && $(window, "dim").classList.contains("faded"));
  assert.deepEqual([$(window, "off").disabled, $(window, "offlane").disabled], [true, false]);
  assert.equal($(window, "off").getAttribute("aria-disabled"), "true");
  quiet(socket.action("find", {}, { key: "search" }));
  assert.deepEqual(shown(window, "lane", "lane2", "act"), ["lane", "lane2"]);
  assert.deepEqual([$(window, "offlane").disabled, $(window, "offkey").disabled, $(window, "offact").disabled],
    [true, true, false]);
  quiet(socket.action("save", {}));
  assert.deepEqual(shown(window, "act", "unhide"), ["act", "unhide"]);
  assert.ok(!$(window, "unhide").classList.contains("hidden"));
  assert.deepEqual([$(window, "offact").disabled, $(window, "offact").classList.contains("busy")], [true, true]);
  for (const id of ["1", "2", "3"]) ws.serverSend({ id, event: "end", data: {} });
  await settle(socket);
  assert.deepEqual(shown(window, "any", "global", "lane", "lane2", "act"), []);
  assert.equal(html.getAttribute("aria-busy"), null);
  assert.ok(!$(window, "dim").classList.contains("dim"));
  assert.ok($(window, "unhide").classList.contains("hidden"));
  assert.deepEqual(["off", "offlane", "offkey", "offact"].map((id) => $(window, id).disabled), [false, false, false, false]);
  assert.equal($(window, "off").getAttribute("aria-disabled"), null);
  assert.deepEqual([$(window, "already").disabled, $(window, "already").getAttribute("aria-disabled")], [true, "true"],
    "an element disabled before stays disabled");
  socket.close();
});

test("hyper-loading-delay: shown only after the delay; a call shorter than it never shows it", async () => {
  const { window, socket, ws } = await openSocket(PAGE);
  quiet(socket.action("quick", {}));
  ws.serverSend({ id: "1", event: "end", data: {} });
  await settle(socket);
  await tick(60);
  assert.equal($(window, "late").hidden, true);
  quiet(socket.action("slow", {}));
  await tick(10);
  assert.equal($(window, "late").hidden, true);
  assert.equal($(window, "any").hidden, false);
  await tick(60);
  assert.equal($(window, "late").hidden, false);
  ws.serverSend({ id: "2", event: "end", data: {} });
  await settle(socket);
  assert.equal($(window, "late").hidden, true, "hidden at once when the call ends");
  socket.close();
});

test("hyper-target-busy: a bare one on the source marks its target; a selector mirrors calls on that target", async () => {
  const { window, socket, ws } = await openSocket(PAGE);
  const results = $(window, "results");
  quiet(socket.action("find", {}, { source: $(window, "src"), target: "#results" }));
  assert.equal(results.getAttribute("aria-busy"), "true");
  assert.equal($(window, "mirror").getAttribute("aria-busy"), "true");
  assert.equal($(window, "src").getAttribute("aria-busy"), "true");
  assert.ok($(window, "src").classList.contains("hyper-loading"));
  ws.serverSend({ id: "1", event: "end", data: {} });
  await settle(socket);
  assert.deepEqual([results, $(window, "mirror"), $(window, "src")].map((el) => el.getAttribute("aria-busy")), [null, null, null]);
  quiet(socket.action("find", {}, { target: "#results" })); // no source: the target is not marked, the mirror is
  assert.deepEqual([results.getAttribute("aria-busy"), $(window, "mirror").getAttribute("aria-busy")], [null, "true"]);
  socket.close();
});

test("elements patched in start in the state of what runs", async () => {
  const { window, socket, ws } = await openSocket(PAGE);
  quiet(socket.action("grow", {}, { key: "search" }));
  ws.serverSend({ id: "1", event: "patch_html", data: { content: '<p id="new" hyper-loading="other">n</p><p id="new2" hyper-loading="search">m</p>', target: "#results", swap: "inner" } });
  await settle(socket);
  assert.deepEqual([$(window, "new").hidden, $(window, "new2").hidden], [true, false]);
  socket.close();
});
