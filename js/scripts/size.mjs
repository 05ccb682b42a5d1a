// Prints the client's size: source, minified (esbuild), minified+gzipped. Goal: <= 6 KB gzipped.
import { buildSync } from "esbuild";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const entry = new URL("../src/hyperchannels.js", import.meta.url).pathname;
const minified = buildSync({ entryPoints: [entry], minify: true, format: "esm", write: false }).outputFiles[0].contents;
const gzipped = gzipSync(minified, { level: 9 });
console.log(JSON.stringify({
  source_bytes: readFileSync(entry).length, minified_bytes: minified.length, gzip_bytes: gzipped.length,
}));
