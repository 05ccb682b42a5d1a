// presence.js: socket.presence(group) from presence_state and presence_diff pushes; hyper:presence
// on window; $store.hyper.presence[group] with Alpine.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openSocket, record, settle } from "./harness.mjs";

const state = (group, data) => ({ event: "presence_state", data: { group, state: data } });
const diff = (group, { joins = {}, leaves = {}, updates = {} }) => ({
  event: "presence_diff", data: { group, joins, leaves, updates },
});

async function send(ws, socket, ...frames) {
  for (const frame of frames) ws.serverSend(frame);
  await settle(socket);
}

test("state, then joins, updates and leaves: list(), onChange and hyper:presence", async () => {
  const { window, socket, ws } = await openSocket("<div></div>");
  const seen = record(window, "hyper:presence");
  const board = socket.presence("board-1");
  assert.deepEqual(board.list(), []);
  const changes = [];
  const stop = board.onChange((list, change) => changes.push({ list, change }));
  await send(ws, socket, state("board-1", { ann: [{ name: "Ann" }, { name: "Ann" }], bob: [{ name: "Bob" }] }));
  assert.deepEqual(board.list(), [
    { key: "ann", metas: [{ name: "Ann" }, { name: "Ann" }] }, { key: "bob", metas: [{ name: "Bob" }] },
  ]);
  assert.deepEqual(seen["hyper:presence"].at(-1).joins, ["ann", "bob"]);
  assert.deepEqual(seen["hyper:presence"].at(-1).leaves, []);
  await send(ws, socket, diff("board-1", { joins: { cy: [{ name: "Cy" }] } }));
  assert.deepEqual(changes.at(-1).change, { joins: ["cy"], leaves: [] });
  assert.equal(changes.at(-1).list.length, 3);
  // An update changes metas: no join, no leave.
  await send(ws, socket, diff("board-1", { updates: { bob: [{ name: "Bob", typing: true }] } }));
  assert.deepEqual(seen["hyper:presence"].at(-1), {
    group: "board-1",
    list: [
      { key: "ann", metas: [{ name: "Ann" }, { name: "Ann" }] },
      { key: "bob", metas: [{ name: "Bob", typing: true }] },
      { key: "cy", metas: [{ name: "Cy" }] },
    ],
    joins: [],
    leaves: [],
  });
  await send(ws, socket, diff("board-1", { leaves: { ann: [{ name: "Ann" }] } }));
  assert.deepEqual(board.list().map((p) => p.key), ["bob", "cy"]);
  assert.deepEqual(changes.at(-1).change, { joins: [], leaves: ["ann"] });
  stop();
  await send(ws, socket, diff("board-1", { leaves: { cy: [] } }));
  assert.equal(changes.length, 4, "onChange's stop function stops it");
  assert.equal(seen["hyper:presence"].length, 5);
  socket.close();
});

test("groups are apart; a second state (after a reconnect) gives joins and leaves against the first", async () => {
  const { window, socket, ws } = await openSocket("<div></div>");
  const seen = record(window, "hyper:presence");
  await send(ws, socket, state("a", { ann: [{}] }), state("b", { bob: [{}] }));
  assert.deepEqual(socket.presence("a").list(), [{ key: "ann", metas: [{}] }]);
  assert.deepEqual(socket.presence("b").list(), [{ key: "bob", metas: [{}] }]);
  await send(ws, socket, state("a", { cy: [{}] }));
  assert.deepEqual(seen["hyper:presence"].at(-1), {
    group: "a", list: [{ key: "cy", metas: [{}] }], joins: ["cy"], leaves: ["ann"],
  });
  // A leave of a key never seen changes nothing but is still told; a join already known is no join.
  await send(ws, socket, diff("a", { joins: { cy: [{ x: 1 }] }, leaves: { zed: [] } }));
  assert.deepEqual(seen["hyper:presence"].at(-1).joins, []);
  assert.deepEqual(seen["hyper:presence"].at(-1).leaves, []);
  assert.deepEqual(socket.presence("a").list(), [{ key: "cy", metas: [{ x: 1 }] }]);
  socket.close();
});

test("a callback that throws doesn't stop the others; bad data changes nothing", async () => {
  const { socket, ws } = await openSocket("<div></div>");
  const errors = [];
  const logged = console.error;
  console.error = (error) => errors.push(error);
  try {
    const calls = [];
    socket.presence("g").onChange(() => { throw new Error("boom"); });
    socket.presence("g").onChange((list) => calls.push(list));
    await send(ws, socket, state("g", { ann: [{}] }));
    assert.equal(calls.length, 1);
    await send(ws, socket, { event: "presence_diff", data: { joins: { x: [] } } }, state(null, {}));
    assert.deepEqual(socket.presence("g").list(), [{ key: "ann", metas: [{}] }]);
  } finally {
    console.error = logged;
  }
  assert.equal(errors.length, 1);
  assert.equal(errors[0].message, "boom");
  socket.close();
});

test("with Alpine, $store.hyper.presence[group] holds the list", async () => {
  const { window, socket, ws } = await openSocket("<div></div>");
  const stores = {};
  window.Alpine = { store: (name, value) => (value === undefined ? stores[name] : (stores[name] = value)) };
  try {
    await send(ws, socket, state("room", { ann: [{ name: "Ann" }] }));
    assert.deepEqual(stores.hyper.presence.room, [{ key: "ann", metas: [{ name: "Ann" }] }]);
    await send(ws, socket, diff("room", { joins: { bob: [{ name: "Bob" }] } }));
    assert.deepEqual(stores.hyper.presence.room.map((p) => p.key), ["ann", "bob"]);
  } finally {
    delete window.Alpine;
  }
  socket.close();
});
