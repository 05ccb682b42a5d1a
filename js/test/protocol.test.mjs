// protocol.js (generated): every name the client uses is protocol.json's, frozen.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { client, installDOM } from "./harness.mjs";

const spec = JSON.parse(readFileSync(new URL("../../hyperchannels/protocol.json", import.meta.url), "utf8"));
const byName = (names) => Object.fromEntries(names.map((n) => [n, n]));

test("the protocol module's names are those of protocol.json", async () => {
  installDOM();
  const P = await client("protocol.js");
  assert.deepEqual(P.FRAMES, byName(Object.keys(spec.client_frames)));
  assert.deepEqual(P.EVENTS, byName(Object.keys(spec.events)));
  assert.deepEqual(P.TERMINAL_EVENTS, spec.terminal_events);
  assert.deepEqual(Object.values(P.SWAPS), spec.swaps);
  assert.deepEqual(P.SWAP_ALIASES, spec.swap_aliases);
  assert.deepEqual(P.FOCUS, spec.focus);
  assert.deepEqual(P.ERRORS, spec.errors);
  for (const [name, error] of Object.entries(spec.errors)) assert.equal(P.STATUS[name], error.status, name);
  assert.deepEqual(P.CLOSE_CODES, spec.close_codes);
  assert.deepEqual(P.NO_RECONNECT_CLOSE_CODES, spec.no_reconnect_close_codes);
  assert.deepEqual(P.LIMITS, spec.limits);
  assert.deepEqual(P.CONNECTION_STATES, spec.connection_states);
  assert.deepEqual(Object.values(P.CLIENT_STATES), spec.connection_states.client);
  assert.deepEqual(P.ATTRIBUTES, spec.attributes);
  assert.deepEqual(P.CLASSES, spec.classes);
  assert.equal(P.ALPINE_STORE, spec.alpine_store);
  assert.deepEqual(P.WINDOW_EVENTS, spec.window_events);
  assert.deepEqual(P.DEFAULTS, spec.defaults);
  assert.equal(P.VERSION, spec.version);
});

test("PROTOCOL, exported by the entry, keeps its older keys beside the new ones", async () => {
  installDOM();
  const { PROTOCOL } = await client();
  assert.deepEqual(PROTOCOL.events, byName(Object.keys(spec.events)));
  assert.deepEqual(PROTOCOL.terminal, spec.terminal_events);
  assert.deepEqual(PROTOCOL.swaps, spec.swaps);
  assert.deepEqual(PROTOCOL.windowEvents, spec.window_events);
  assert.deepEqual(PROTOCOL.defaults, spec.defaults);
  assert.equal(PROTOCOL.idMaxLength, spec.limits.id_max_length);
  assert.deepEqual([PROTOCOL.statuses.network, PROTOCOL.statuses.not_found, PROTOCOL.statuses.too_large,
    PROTOCOL.statuses.cancelled], [0, 404, 413, 499]);
});

test("the constants are frozen all the way down", async () => {
  installDOM();
  const P = await client("protocol.js");
  assert.throws(() => (P.SWAPS.inner = "x"), TypeError);
  assert.throws(() => (P.ERRORS.not_found.status = 200), TypeError);
  assert.throws(() => P.TERMINAL_EVENTS.push("toast"), TypeError);
  assert.throws(() => (P.CONNECTION_STATES.client[0] = "x"), TypeError);
  assert.throws(() => (P.PROTOCOL.limits = {}), TypeError);
});
