// hyperchannels.js, the entry: its exports and connect().
import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeWebSocket, client, installDOM } from "./harness.mjs";

test("the entry exports the public API and nothing else", async () => {
  installDOM();
  const entry = await client();
  assert.deepEqual(Object.keys(entry).sort(), ["HyperError", "HyperSocket", "PROTOCOL", "action", "alpinePlugin", "connect"]);
  assert.equal(entry.HyperSocket, (await client("socket.js")).HyperSocket);
  assert.equal(entry.PROTOCOL, (await client("protocol.js")).PROTOCOL);
});

test("connect with declarative: false serves no hyper-action element; a closed served socket neither", async () => {
  const window = installDOM('<!doctype html><html><body><button id="b" hyper-action="save">b</button></body></html>');
  const { connect } = await client();
  const served = connect("/ws/a/");
  const servedWs = FakeWebSocket.last;
  servedWs.serverOpen();
  const quiet = connect("/ws/b/", { declarative: false });
  const quietWs = FakeWebSocket.last;
  quietWs.serverOpen();
  const actions = (ws) => ws.sent.filter((f) => f.type === "action").length;
  window.document.getElementById("b").click();
  assert.deepEqual([actions(servedWs), actions(quietWs)], [1, 0]);
  served.close();
  window.document.getElementById("b").click();
  assert.deepEqual([actions(servedWs), actions(quietWs)], [1, 0]);
  quiet.close();
});
