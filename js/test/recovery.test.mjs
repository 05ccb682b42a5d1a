// recovery.js: each group's pushes applied exactly once and in seq order; gaps, epochs, excluded
// frames, baselines from positions and subscribe ends; resume and re-subscribe on every open.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeWebSocket, client, installDOM, openSocket, record, settle, tick } from "./harness.mjs";

const E1 = "e1";
const at = (seq, epoch = E1) => ({ seq, epoch });
const push = (group, seq, value = `${group}${seq}`) => ({ event: "toast", data: { value }, group, seq });
const positions = (data, id) => (id == null ? { event: "positions", data } : { id, event: "positions", data });
const values = (seen) => seen["hyper:toast"].map((d) => d.value);
const resumes = (ws) => ws.sent.filter((f) => f.type === "resume");

/** An open socket whose page knows `known` (the first positions push after open). */
async function positioned(known, options = {}) {
  const opened = await openSocket("<div id='board'></div>", { reconnectMin: 5, reconnectMax: 10, ...options });
  const seen = record(opened.window, "hyper:toast", "hyper:resync", "hyper:request:start", "hyper:event");
  opened.ws.serverSend(positions(known));
  await settle(opened.socket);
  return { ...opened, seen };
}

async function send(ws, socket, ...frames) {
  for (const frame of frames) ws.serverSend(frame);
  await settle(socket);
}

test("a push at or below the page's position is a duplicate: dropped", async () => {
  const { socket, ws, seen } = await positioned({ g: at(5) }, { gapTimeout: 20 });
  await send(ws, socket, push("g", 6), push("g", 6), push("g", 5), push("g", 2));
  assert.deepEqual(values(seen), ["g6"]);
  assert.deepEqual(socket.positions(), { g: at(6) });
  await tick(40);
  assert.deepEqual(resumes(ws), [], "a duplicate opens no gap");
  assert.equal(seen["hyper:event"].filter((d) => d.event === "toast").length, 1, "a dropped push is no event");
  socket.close();
});

test("pushes that skip ahead are held, then applied in seq order once the gap fills", async () => {
  const { socket, ws, seen } = await positioned({ g: at(0) }, { gapTimeout: 30 });
  await send(ws, socket, push("g", 3), push("g", 2));
  assert.deepEqual(values(seen), []);
  await send(ws, socket, push("g", 1));
  assert.deepEqual(values(seen), ["g1", "g2", "g3"]);
  await tick(60);
  assert.deepEqual(resumes(ws), [], "the gap filled before gapTimeout: no resume");
  assert.deepEqual(socket.positions(), { g: at(3) });
  socket.close();
});

test("a gap still open after gapTimeout resumes that group only, from its position", async () => {
  const { socket, ws, seen } = await positioned({ g: at(0), h: at(7) }, { gapTimeout: 40 });
  await send(ws, socket, push("g", 1), push("g", 3), push("h", 9));
  await tick(10);
  assert.deepEqual(resumes(ws), []);
  await tick(60);
  const sent = resumes(ws);
  assert.equal(sent.length, 2);
  const byGroup = Object.fromEntries(sent.map((f) => [Object.keys(f.positions)[0], f]));
  assert.deepEqual(byGroup.g.positions, { g: at(1) });
  assert.deepEqual(byGroup.h.positions, { h: at(7) });
  // The server replays the missing pushes as pushes, then ends the resume.
  await send(ws, socket, push("g", 2), push("g", 3), { id: byGroup.g.id, event: "end", data: { recovered: ["g"], resynced: [] } });
  assert.deepEqual(values(seen), ["g1", "g2", "g3"]);
  assert.deepEqual(seen["hyper:request:start"], [], "a resume is not a user action");
  assert.equal(document.documentElement.getAttribute("aria-busy"), null);
  socket.close();
});

test("the default gapTimeout comes from protocol.json", async () => {
  const { socket } = await positioned({});
  const { PROTOCOL } = await client();
  assert.equal(socket.options.gapTimeout, PROTOCOL.defaults.gap_timeout_ms);
  assert.equal(socket.options.gapTimeout, 1000);
  socket.close();
});

test("an epoch change resumes from the old position; resync items, baseline, hyper:resync", async () => {
  const { socket, ws, seen, window } = await positioned({ g: at(3) });
  await send(ws, socket, push("g", 4));
  await send(ws, socket, positions({ g: at(9, "e2") }), push("g", 10), push("g", 11));
  const [resume] = resumes(ws);
  assert.deepEqual(resume.positions, { g: at(4) });
  assert.deepEqual(values(seen), ["g4"], "pushes of the new epoch wait for the baseline");
  await send(
    ws, socket,
    { id: resume.id, event: "patch_html", data: { target: "#board", swap: "inner", content: "<p>fresh</p>" } },
    positions({ g: at(10, "e2") }, resume.id),
    { id: resume.id, event: "resync", data: { group: "g" } },
    { id: resume.id, event: "end", data: { recovered: [], resynced: ["g"] } },
  );
  assert.equal(window.document.querySelector("#board").innerHTML, "<p>fresh</p>");
  assert.deepEqual(values(seen), ["g4", "g11"], "held at or below the baseline dropped, after it applied");
  assert.deepEqual(seen["hyper:resync"], [{ group: "g" }]);
  assert.deepEqual(socket.positions(), { g: at(11, "e2") });
  await send(ws, socket, push("g", 12), push("g", 11));
  assert.deepEqual(values(seen), ["g4", "g11", "g12"]);
  assert.deepEqual(seen["hyper:request:start"], []);
  assert.equal(resumes(ws).length, 1);
  socket.close();
});

test("a later positions push of the same epoch is the excluded socket's frame: it counts, in order", async () => {
  const { socket, ws, seen } = await positioned({ g: at(0) });
  await send(ws, socket, push("g", 1), positions({ g: at(2) }), push("g", 3));
  assert.deepEqual(values(seen), ["g1", "g3"]);
  // Skipping ahead, it is held like a push.
  await send(ws, socket, positions({ g: at(5) }), push("g", 6));
  assert.deepEqual(values(seen), ["g1", "g3"]);
  await send(ws, socket, push("g", 4));
  assert.deepEqual(values(seen), ["g1", "g3", "g4", "g6"]);
  assert.deepEqual(socket.positions(), { g: at(6) });
  // A no-op never replaces a push held at the same seq.
  await send(ws, socket, push("g", 8), positions({ g: at(8) }), push("g", 7));
  assert.deepEqual(values(seen), ["g1", "g3", "g4", "g6", "g7", "g8"]);
  assert.deepEqual(resumes(ws), []);
  socket.close();
});

test("the first positions after open sets baselines of new groups, never moves a known one", async () => {
  installDOM();
  const { connect } = await client();
  const seen = record(window, "hyper:toast");
  const socket = connect("/ws/", { positions: { a: at(3) }, reconnectMin: 5, reconnectMax: 10 });
  const ws = FakeWebSocket.last;
  ws.serverOpen();
  assert.deepEqual(ws.sent, [{ type: "resume", id: "1", positions: { a: at(3) } }]);
  await send(ws, socket, positions({ a: at(7), b: at(2) }));
  assert.deepEqual(socket.positions(), { a: at(3), b: at(2) });
  // The resume's replay, and b's live pushes.
  await send(ws, socket, push("a", 4), push("b", 3), push("a", 5), push("a", 6), push("a", 7));
  await send(ws, socket, { id: "1", event: "end", data: { recovered: ["a"], resynced: [] } });
  assert.deepEqual(values(seen), ["a4", "b3", "a5", "a6", "a7"]);
  assert.deepEqual(socket.positions(), { a: at(7), b: at(3) });
  socket.close();
});

test("the first positions after open with another epoch resyncs, covered by the open's one resume", async () => {
  installDOM();
  const { connect } = await client();
  const seen = record(window, "hyper:toast", "hyper:resync");
  const socket = connect("/ws/", { positions: { a: at(3) } });
  const ws = FakeWebSocket.last;
  ws.serverOpen();
  await send(ws, socket, positions({ a: at(0, "e2") }), push("a", 1));
  assert.equal(resumes(ws).length, 1, "the resume sent at open names a at e1: it resyncs a");
  assert.deepEqual(values(seen), [], "a's pushes wait for its new baseline");
  await send(ws, socket, positions({ a: at(0, "e2") }, "1"), { id: "1", event: "resync", data: { group: "a" } });
  assert.deepEqual(values(seen), ["a1"]);
  assert.deepEqual(seen["hyper:resync"], [{ group: "a" }]);
  assert.deepEqual(socket.positions(), { a: at(1, "e2") });
  socket.close();
});

test("a subscribe's end sets its group's baseline: after its held pushes, or at its seq", async () => {
  const { socket, ws, seen } = await positioned({});
  socket.subscribe("tok-s");
  socket.subscribe("tok-t");
  const [s, t] = ws.sent.filter((f) => f.type === "subscribe");
  assert.deepEqual(s, { type: "subscribe", id: s.id, stream: "tok-s" }, "no since without a position");
  // s: the token's replay arrives before its end (held: no position yet).
  await send(ws, socket, push("s", 5), push("s", 6), push("s", 8));
  assert.deepEqual(values(seen), []);
  await send(ws, socket, { id: s.id, event: "end", data: { group: "s", seq: 6, epoch: E1 } });
  assert.deepEqual(values(seen), ["s5", "s6"]);
  assert.deepEqual(socket.positions().s, at(6), "8 waits for 7");
  await send(ws, socket, push("s", 7));
  assert.deepEqual(values(seen), ["s5", "s6", "s7", "s8"]);
  // t: nothing held, the end's seq is the baseline.
  await send(ws, socket, { id: t.id, event: "end", data: { group: "t", seq: 9, epoch: E1 } });
  await send(ws, socket, push("t", 9), push("t", 10));
  assert.deepEqual(values(seen).slice(4), ["t10"]);
  assert.deepEqual(socket.positions(), { s: at(8), t: at(10) });
  socket.close();
});

test("a subscribe that resyncs: its positions reply is the baseline, its end does not move it", async () => {
  const { socket, ws, seen } = await positioned({});
  socket.subscribe("tok");
  const sub = ws.sent.find((f) => f.type === "subscribe");
  await send(
    ws, socket, push("s", 12),
    positions({ s: at(11) }, sub.id), { id: sub.id, event: "resync", data: { group: "s" } },
    { id: sub.id, event: "end", data: { group: "s", seq: 11, epoch: E1 } },
  );
  assert.deepEqual(values(seen), ["s12"]);
  assert.deepEqual(seen["hyper:resync"], [{ group: "s" }]);
  assert.deepEqual(socket.positions(), { s: at(12) });
  socket.close();
});

test("after a reconnect: re-subscribe with since, then one resume with every position, then queued actions", async () => {
  const { socket, ws } = await positioned({ g: at(4) });
  socket.subscribe("tok");
  const sub = ws.sent.find((f) => f.type === "subscribe");
  await send(ws, socket, { id: sub.id, event: "end", data: { group: "s", seq: 2, epoch: E1 } });
  ws.serverDrop();
  const queued = socket.action("save", { a: 1 });
  await tick(20);
  const again = FakeWebSocket.last;
  assert.notEqual(again, ws);
  again.serverOpen();
  const [subscribe, resume, action] = again.sent;
  assert.deepEqual(subscribe, { type: "subscribe", id: subscribe.id, stream: "tok", since: at(2) });
  assert.deepEqual(resume, { type: "resume", id: resume.id, positions: { g: at(4), s: at(2) } });
  assert.equal(action.type, "action");
  assert.equal(again.sent.length, 3);
  again.serverSend({ id: action.id, event: "end", data: {} });
  await queued;
  socket.close();
});

test("positions given to connect() go in the first resume, before queued actions", async () => {
  installDOM();
  const { connect } = await client();
  const socket = connect("/ws/", { positions: { "board-1": at(41) } });
  const saved = socket.action("save").catch((error) => error);
  const ws = FakeWebSocket.last;
  ws.serverOpen();
  assert.deepEqual(ws.sent.map((f) => f.type), ["resume", "action"]);
  assert.deepEqual(ws.sent[0].positions, { "board-1": at(41) });
  assert.deepEqual(socket.positions(), { "board-1": at(41) });
  socket.close();
  assert.equal((await saved).status, 0);
});

test("without positions nothing is resumed; pushes without group and seq apply at once", async () => {
  const { socket, ws, seen } = await positioned({});
  await send(ws, socket, { event: "toast", data: { value: "plain" } }, { event: "toast", data: { value: "plain" } });
  assert.deepEqual(values(seen), ["plain", "plain"]);
  assert.deepEqual(ws.sent, []);
  ws.serverDrop();
  await tick(20);
  FakeWebSocket.last.serverOpen();
  assert.deepEqual(FakeWebSocket.last.sent, []);
  socket.close();
});

test("positions, held pushes and the gap survive a reconnect; the replay applies each once, in order", async () => {
  const { socket, ws, seen } = await positioned({ g: at(0) }, { gapTimeout: 20 });
  await send(ws, socket, push("g", 1), push("g", 3));
  ws.serverDrop();
  await tick(40); // the gap timer fires while down: nothing is sent, the open's resume covers it
  const again = FakeWebSocket.last;
  again.serverOpen();
  const [resume] = again.sent;
  assert.deepEqual(again.sent, [{ type: "resume", id: resume.id, positions: { g: at(1) } }]);
  await send(again, socket, positions({ g: at(5) }), push("g", 2), push("g", 3), push("g", 4), push("g", 5));
  await send(again, socket, push("g", 6), { id: resume.id, event: "end", data: { recovered: ["g"], resynced: [] } });
  assert.deepEqual(values(seen), ["g1", "g2", "g3", "g4", "g5", "g6"]);
  assert.deepEqual(socket.positions(), { g: at(6) });
  assert.equal(resumes(again).length, 1);
  socket.close();
});

test("an epoch change while down: the open's resume resyncs; a later push of the old history is not a duplicate", async () => {
  const { socket, ws, seen } = await positioned({ g: at(30) });
  ws.serverDrop();
  await tick(20);
  const again = FakeWebSocket.last;
  again.serverOpen();
  const [resume] = again.sent;
  // Redis restarted empty: the new epoch's counter starts again below the page's old 30.
  await send(again, socket, positions({ g: at(2, "e2") }), push("g", 3));
  await send(again, socket, positions({ g: at(2, "e2") }, resume.id), { id: resume.id, event: "resync", data: { group: "g" } });
  await send(again, socket, push("g", 4));
  assert.deepEqual(values(seen), ["g3", "g4"]);
  assert.deepEqual(socket.positions(), { g: at(4, "e2") });
  socket.close();
});

test("bad positions: connect() refuses them clearly; a malformed entry from the server is skipped", async () => {
  installDOM();
  const { connect } = await client();
  assert.throws(() => connect("/ws/", { positions: { g: { seq: "1", epoch: E1 } } }), /positions must map/);
  assert.throws(() => connect("/ws/", { positions: [1] }), /positions must map/);
  const { socket, ws, seen } = await positioned({ g: { seq: -1, epoch: E1 }, h: at(0) });
  assert.deepEqual(socket.positions(), { h: at(0) });
  await send(ws, socket, push("h", 1));
  assert.deepEqual(values(seen), ["h1"]);
  socket.close();
});

test("a refused resume (429) asks again after gapTimeout; one lost to a drop waits for the next open", async () => {
  const { socket, ws, seen } = await positioned({ g: at(3) }, { gapTimeout: 20 });
  await send(ws, socket, positions({ g: at(0, "e2") }), push("g", 1));
  const [first] = resumes(ws);
  await send(ws, socket, { id: first.id, event: "error", data: { status: 429, message: "Too many concurrent actions" } });
  assert.equal(resumes(ws).length, 1);
  await tick(40);
  const [, second] = resumes(ws);
  assert.deepEqual(second.positions, { g: at(3) }, "still from the old position: the group still resyncs");
  assert.deepEqual(values(seen), []);
  ws.serverDrop();
  await tick(60);
  const again = FakeWebSocket.last;
  again.serverOpen();
  assert.deepEqual(again.sent.map((f) => f.type), ["resume"], "no retry timer fired for the dropped one");
  await send(again, socket, positions({ g: at(1, "e2") }), positions({ g: at(0, "e2") }, again.sent[0].id));
  await send(again, socket, push("g", 1));
  assert.deepEqual(values(seen), ["g1"]);
  assert.equal(resumes(again).length, 1);
  socket.close();
});

test("a socket opened without a group's position (history unreadable) takes the first positions push later as its baseline", async () => {
  const { socket, ws, seen } = await positioned({}, { gapTimeout: 20 });
  // The server tells the group's position with its first push (a new epoch to this page).
  await send(ws, socket, positions({ g: at(7, "e2") }), push("g", 8), push("g", 9));
  assert.deepEqual(values(seen), ["g8", "g9"]);
  assert.deepEqual(socket.positions(), { g: at(9, "e2") });
  socket.close();
});
