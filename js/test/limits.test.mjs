// socket.js: close codes that stop the client (hyper:closed), the heartbeat, and `revoked` pushes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeWebSocket, client, installDOM, record, tick } from "./harness.mjs";

function closeFromServer(ws, code, reason = "") {
  ws.readyState = FakeWebSocket.CLOSED;
  ws.onclose?.({ code, reason });
}

for (const code of [4401, 4403, 4499]) {
  test(`close code ${code} stops reconnecting and dispatches hyper:closed`, async () => {
    const window = installDOM();
    const { connect } = await client();
    const seen = record(window, "hyper:closed", "hyper:disconnected", "hyper:reconnecting");
    const socket = connect("/ws/", { reconnectMin: 5, reconnectMax: 10, restartJitter: 5 });
    FakeWebSocket.last.serverOpen();
    const pending = socket.action("slow").then(() => null, (error) => error.status);
    await tick(0);
    const count = FakeWebSocket.instances.length;
    closeFromServer(FakeWebSocket.last, code, "bye");
    await tick(40);
    assert.equal(FakeWebSocket.instances.length, count, "no new socket was opened");
    assert.deepEqual(seen["hyper:closed"], [{ code, reason: "bye" }]);
    assert.equal(seen["hyper:disconnected"].length, 1);
    assert.equal(seen["hyper:reconnecting"].length, 0);
    assert.equal(socket.state, "closed");
    assert.equal(await pending, 0);
    await assert.rejects(socket.action("later"), (error) => error.status === 0);
  });
}

for (const code of [4000, 4408, 1012, 1006]) {
  test(`close code ${code} reconnects`, async () => {
    const window = installDOM();
    const { connect } = await client();
    const seen = record(window, "hyper:closed", "hyper:reconnecting");
    const socket = connect("/ws/", { reconnectMin: 5, reconnectMax: 10, restartJitter: 5 });
    FakeWebSocket.last.serverOpen();
    const count = FakeWebSocket.instances.length;
    closeFromServer(FakeWebSocket.last, code);
    await tick(40);
    assert.equal(FakeWebSocket.instances.length, count + 1);
    assert.equal(seen["hyper:closed"].length, 0);
    assert.equal(seen["hyper:reconnecting"].length, 1);
    socket.close();
  });
}

test("a silent socket is pinged after `heartbeat` ms and dropped `heartbeatTimeout` ms later", async () => {
  const window = installDOM();
  const { connect } = await client();
  const seen = record(window, "hyper:disconnected", "hyper:reconnecting");
  const socket = connect("/ws/", { heartbeat: 30, heartbeatTimeout: 30, reconnectMin: 500 });
  const ws = FakeWebSocket.last;
  ws.serverOpen();
  await tick(15);
  assert.deepEqual(ws.sent.filter((f) => f.type === "ping"), []);
  await tick(30);
  const pings = ws.sent.filter((f) => f.type === "ping");
  assert.equal(pings.length, 1);
  assert.equal(typeof pings[0].id, "string");
  assert.equal(seen["hyper:disconnected"].length, 0);
  await tick(45);
  assert.equal(seen["hyper:disconnected"].length, 1, "no answer to the ping: the socket is dead");
  assert.equal(seen["hyper:reconnecting"].length, 1);
  assert.equal(socket.state, "reconnecting");
  assert.equal(ws.readyState, FakeWebSocket.CLOSED);
  socket.close();
});

test("frames keep the socket alive; the ping's end counts as one", async () => {
  const window = installDOM();
  const { connect } = await client();
  const seen = record(window, "hyper:disconnected");
  const socket = connect("/ws/", { heartbeat: 30, heartbeatTimeout: 30 });
  const ws = FakeWebSocket.last;
  ws.serverOpen();
  for (let i = 0; i < 6; i++) {
    await tick(15);
    ws.serverSend({ event: "toast", data: { message: String(i) } });
  }
  assert.deepEqual(ws.sent.filter((f) => f.type === "ping"), [], "never silent for 30 ms");
  await tick(45);
  const ping = ws.sent.find((f) => f.type === "ping");
  assert.ok(ping);
  ws.serverSend({ id: ping.id, event: "end", data: {} });
  await tick(40);
  assert.equal(seen["hyper:disconnected"].length, 0);
  assert.equal(socket.state, "open");
  socket.close();
});

test("heartbeat: 0 turns it off", async () => {
  installDOM();
  const { connect } = await client();
  const socket = connect("/ws/", { heartbeat: 0, heartbeatTimeout: 5 });
  const ws = FakeWebSocket.last;
  ws.serverOpen();
  await tick(30);
  assert.deepEqual(ws.sent, []);
  assert.equal(socket.state, "open");
  socket.close();
});

test("a revoked group's token is forgotten: not subscribed again after a reconnect", async () => {
  installDOM();
  const { connect } = await client();
  const socket = connect("/ws/", { reconnectMin: 5, reconnectMax: 10 });
  FakeWebSocket.last.serverOpen();
  const kept = socket.subscribe("token-kept");
  const gone = socket.subscribe("token-gone");
  const [a, b] = FakeWebSocket.last.sent;
  FakeWebSocket.last.serverSend({ id: a.id, event: "end", data: { group: "kept", seq: 0, epoch: "e" } });
  FakeWebSocket.last.serverSend({ id: b.id, event: "end", data: { group: "gone", seq: 0, epoch: "e" } });
  await kept;
  await gone;
  FakeWebSocket.last.serverSend({ event: "revoked", data: { group: "gone" } });
  await tick(0);
  closeFromServer(FakeWebSocket.last, 1006);
  await tick(30);
  FakeWebSocket.last.serverOpen();
  const streams = FakeWebSocket.last.sent.filter((f) => f.type === "subscribe").map((f) => f.stream);
  assert.deepEqual(streams, ["token-kept"]);
  socket.close();
});
