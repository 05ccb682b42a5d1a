import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { client, installDOM } from "./harness.mjs";

const root = new URL("../../", import.meta.url);
const spec = JSON.parse(readFileSync(new URL("hyperchannels/protocol.json", root), "utf8"));

test("the client's protocol names are those of protocol.json", async () => {
  installDOM();
  const { PROTOCOL } = await client();
  assert.deepEqual(PROTOCOL.events, spec.events);
  assert.deepEqual(PROTOCOL.terminal, spec.terminal_events);
  assert.deepEqual(PROTOCOL.swaps, spec.swaps);
  assert.deepEqual(PROTOCOL.windowEvents, spec.window_events);
  assert.deepEqual(PROTOCOL.defaults, spec.defaults);
  assert.equal(PROTOCOL.idMaxLength, spec.id_max_length);
  for (const [name, status] of Object.entries(PROTOCOL.statuses)) assert.equal(status, spec.statuses[name], name);
});

test("the shipped static copy is the source, byte for byte", () => {
  for (const file of ["hyperchannels.js", "hyperchannels.d.ts"]) {
    const source = readFileSync(new URL(`js/src/${file}`, root));
    const shipped = readFileSync(new URL(`hyperchannels/static/hyperchannels/${file}`, root));
    assert.ok(source.equals(shipped), `hyperchannels/static/hyperchannels/${file} differs from js/src/${file}`);
  }
});
