// js/scripts/generate-protocol.mjs: the generated files are current, and a stale one fails npm test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../scripts/generate-protocol.mjs", import.meta.url));
const protocol = fileURLToPath(new URL("../../hyperchannels/protocol.json", import.meta.url));
const shipped = fileURLToPath(new URL("../../hyperchannels/static/hyperchannels/", import.meta.url));
const run = (...args) => spawnSync(process.execPath, [script, ...args], { encoding: "utf8" });
const temp = () => mkdtempSync(join(tmpdir(), "hyper-protocol-"));

test("protocol.js and protocol.d.ts are what protocol.json generates (else: cd js && npm run generate)", () => {
  const result = run("--check");
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /up to date/);
});

test("a changed protocol.json makes the shipped files stale", () => {
  const dir = temp();
  const spec = JSON.parse(readFileSync(protocol, "utf8"));
  spec.window_events.toast = "hyper:notice";
  writeFileSync(join(dir, "protocol.json"), JSON.stringify(spec));
  const result = run("--check", "--protocol", join(dir, "protocol.json"), "--out", shipped);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /stale: .*protocol\.js, .*protocol\.d\.ts/);
  assert.match(result.stderr, /npm run generate/);
});

test("a hand edit of a generated file is stale; generating again repairs it", () => {
  const dir = temp();
  for (const file of ["protocol.js", "protocol.d.ts"]) copyFileSync(join(shipped, file), join(dir, file));
  writeFileSync(join(dir, "protocol.js"), readFileSync(join(dir, "protocol.js"), "utf8").replace('"outer"', '"inner"'));
  const stale = run("--check", "--out", dir);
  assert.equal(stale.status, 1);
  assert.match(stale.stderr, /protocol\.js/);
  assert.doesNotMatch(stale.stderr, /protocol\.d\.ts/);
  assert.equal(run("--out", dir).status, 0);
  assert.equal(run("--check", "--out", dir).status, 0);
  assert.equal(readFileSync(join(dir, "protocol.js"), "utf8"), readFileSync(join(shipped, "protocol.js"), "utf8"));
});

test("a protocol.json without a part the client needs is refused with its name", () => {
  const dir = temp();
  const spec = JSON.parse(readFileSync(protocol, "utf8"));
  delete spec.swap_aliases;
  writeFileSync(join(dir, "protocol.json"), JSON.stringify(spec));
  const result = run("--protocol", join(dir, "protocol.json"), "--out", dir);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /"swap_aliases" must be an object/);
  spec.swap_aliases = { beforeend: "sideways" };
  writeFileSync(join(dir, "protocol.json"), JSON.stringify(spec));
  assert.match(run("--protocol", join(dir, "protocol.json"), "--out", dir).stderr, /"beforeend" names no swap/);
});
