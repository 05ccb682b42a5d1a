// Replays the language-neutral protocol cases (tests/golden/protocol.json) into the client.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { openSocket, record, settle } from "./harness.mjs";

const golden = JSON.parse(readFileSync(new URL("../../tests/golden/protocol.json", import.meta.url), "utf8"));

const spec = JSON.parse(readFileSync(new URL("../../hyperchannels/protocol.json", import.meta.url), "utf8"));
const isClientAction = (f) =>
  f.type === "action" && typeof f.id === "string" && f.id.length >= 1 && f.id.length <= spec.limits.id_max_length &&
  typeof f.name === "string" && f.name && (f.data == null || (typeof f.data === "object" && !Array.isArray(f.data))) &&
  (f.target == null || typeof f.target === "string") && (f.block == null || typeof f.block === "string");

for (const c of golden.cases) {
  const actions = c.send.filter(isClientAction);
  if (actions.length !== c.send.length) {
    // Frames this client never sends (raw text, bad ids...): the replies carry id null and
    // must surface as hyper:requestError, applied in order.
    test(`golden (server frames only): ${c.name}`, async () => {
      const { window, socket, ws } = await openSocket();
      const seen = record(window, "hyper:event", "hyper:requestError");
      for (const frame of c.expect) ws.serverSend(frame);
      await settle(socket);
      assert.equal(seen["hyper:event"].length, c.expect.filter((f) => f.id == null).length);
      const nullErrors = c.expect.filter((f) => f.id == null && f.event === "error");
      assert.deepEqual(seen["hyper:requestError"].map((d) => d.status), nullErrors.map((f) => f.data.status));
    });
    continue;
  }
  test(`golden: ${c.name}`, async () => {
    const { window, socket, ws } = await openSocket();
    const seen = record(window, "hyper:event");
    const navigations = [];
    socket.navigate = (url, replace) => navigations.push({ url, replace });
    const outcomes = actions.map((frame) => {
      const options = { sync: "none" }; // each frame as the case sends it, whatever its lane
      if (frame.target != null) options.target = frame.target;
      if (frame.block != null) options.block = frame.block;
      return socket.action(frame.name, frame.data ?? {}, options).then(
        (value) => ({ ok: value }), (error) => ({ error }));
    });
    // What the client sent is the case's frame, under the client's own id.
    const ids = new Map(actions.map((frame, i) => [frame.id, ws.sent[i].id]));
    assert.deepEqual(ws.sent, actions.map((f) => ({ ...f, id: ids.get(f.id), data: f.data ?? {} })));
    for (const frame of c.expect) ws.serverSend(frame.id == null ? frame : { ...frame, id: ids.get(frame.id) });
    await settle(socket);
    const results = await Promise.all(outcomes);
    for (const [i, frame] of actions.entries()) {
      const last = c.expect.filter((f) => f.id === frame.id).at(-1);
      if (last.event === "error") {
        assert.equal(results[i].error?.status, last.data.status);
        assert.equal(results[i].error?.message, last.data.message);
      } else {
        assert.deepEqual(results[i].ok, { event: last.event, data: last.data });
      }
      if (last.event === "redirect") assert.deepEqual(navigations.at(-1), { url: last.data.url, replace: last.data.replace });
    }
    assert.deepEqual(seen["hyper:event"].map((d) => d.event), c.expect.map((f) => f.event));
  });
}
