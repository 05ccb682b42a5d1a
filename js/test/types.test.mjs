// hyperchannels.d.ts and the generated protocol.d.ts compile, and describe the client (test/types/usage.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
const usage = fileURLToPath(new URL("types/usage.ts", import.meta.url));

test("the typings type-check a page's use of the client, and reject misuse", () => {
  const result = spawnSync(process.execPath, [tsc, "--noEmit", "--strict", "--target", "es2022", "--module", "nodenext",
    "--moduleResolution", "nodenext", "--lib", "es2022,dom", usage], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});
