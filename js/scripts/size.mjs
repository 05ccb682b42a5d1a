// Prints the whole client's size: its modules' source, then the entry bundled and minified by
// esbuild, then that gzipped. Goal: <= 6 KB gzipped. The browser loads the modules unbundled;
// the bundle measures what a page's own build would ship.
import { buildSync } from "esbuild";
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";

const folder = new URL("../../hyperchannels/static/hyperchannels/", import.meta.url);
const entry = new URL("hyperchannels.js", folder).pathname;
const modules = readdirSync(folder).filter((name) => name.endsWith(".js")).sort();
const source = modules.reduce((total, name) => total + readFileSync(new URL(name, folder)).length, 0);
const minified = buildSync({
  entryPoints: [entry], bundle: true, minify: true, format: "esm", write: false,
}).outputFiles[0].contents;
const gzipped = gzipSync(minified, { level: 9 });
console.log(JSON.stringify({
  modules: modules.length, source_bytes: source, minified_bytes: minified.length, gzip_bytes: gzipped.length,
}));
