// Builds the static page into dist/: the bundled script (esbuild), the page, llama.cpp's WebAssembly file and the
// examples, and build_info.json (the versions it was built with). Usage: npm ci && npm run build
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";

import { build } from "esbuild";

mkdirSync("dist", { recursive: true });
await build({
  entryPoints: ["src/main.js"],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  outfile: "dist/app.js",
  logLevel: "warning",
});
for (const file of ["index.html", "style.css", "examples.json"]) copyFileSync(file, `dist/${file}`);
copyFileSync("node_modules/@wllama/wllama/esm/wasm/wllama.wasm", "dist/wllama.wasm");
const version = (name) => JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")).version;
writeFileSync("dist/build_info.json", JSON.stringify({ wllama: version("@wllama/wllama"), esbuild: version("esbuild") }) + "\n");
