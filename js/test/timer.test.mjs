// timer.js: the reconnect backoff.
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, installDOM, tick } from "./harness.mjs";

async function Timer() {
  installDOM();
  return (await client("timer.js")).ReconnectTimer;
}

test("delays double from min to max, each within ±20 %", async () => {
  const ReconnectTimer = await Timer();
  const timer = new ReconnectTimer(() => {}, 100, 1000);
  const delays = Array.from({ length: 6 }, () => timer.schedule());
  timer.cancel();
  [100, 200, 400, 800, 1000, 1000].forEach((base, i) => {
    assert.ok(delays[i] >= Math.round(base * 0.8) && delays[i] <= Math.min(1000, Math.round(base * 1.2)), `${i}: ${delays[i]}`);
  });
  assert.equal(timer.attempt, 6);
});

test("the callback runs once after the delay; cancel stops it; reset starts again from min", async () => {
  const ReconnectTimer = await Timer();
  let calls = 0;
  const timer = new ReconnectTimer(() => calls++, 5, 5);
  timer.schedule();
  timer.schedule(); // re-arming replaces the pending one
  await tick(25);
  assert.equal(calls, 1);
  assert.equal(timer.handle, null);
  timer.schedule();
  timer.cancel();
  await tick(25);
  assert.equal(calls, 1);
  timer.reset();
  assert.equal(timer.attempt, 0);
});

test("soon: one attempt within the jitter, counted as attempt 1; the backoff then goes on", async () => {
  const ReconnectTimer = await Timer();
  let calls = 0;
  const timer = new ReconnectTimer(() => calls++, 1000, 8000);
  timer.schedule();
  timer.schedule();
  const delay = timer.soon(20);
  assert.ok(delay >= 0 && delay <= 20, `${delay}`);
  assert.equal(timer.attempt, 1);
  await tick(40);
  assert.equal(calls, 1);
  const next = timer.schedule();
  assert.ok(next >= 1600 && next <= 2400, `${next}`);
  timer.cancel();
});
