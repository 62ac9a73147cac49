// Bundles src/main.ts (and the generated client and socket.io-client it imports) with
// esbuild and inlines it into index.html, writing ../static/index.html:
//
//   node build.mjs [STAMP]
//
// STAMP (the sha256 of the inputs, computed by `python -m examples.chat`) goes into a
// <meta> tag, so the server side can tell a current page from a stale one without Node.
// The output is deterministic: the same inputs give the same bytes.
import { build } from "esbuild";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const output = join(here, "..", "static", "index.html");
const stamp = process.argv[2] ?? "";
const STAMP_SLOT = "<!-- build stamp -->";
const SCRIPT_SLOT = "<!-- page script -->";

const result = await build({
  entryPoints: [join(here, "src", "main.ts")],
  tsconfig: join(here, "tsconfig.json"), // its `paths` locate the generated client
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["es2020", "chrome90", "firefox90", "safari15"],
  minify: true,
  legalComments: "none",
  charset: "utf8",
  write: false,
  logLevel: "warning",
});
const script = result.outputFiles[0].text.trimEnd();
// An inline script ends at the first "</script" whatever the JS means; esbuild escapes
// it in strings, so finding one means something slipped through.
if (/<\/script/i.test(script)) throw new Error("the bundle contains '</script'");

const template = readFileSync(join(here, "index.html"), "utf8");
for (const slot of [STAMP_SLOT, SCRIPT_SLOT]) {
  if (template.split(slot).length !== 2) throw new Error(`index.html needs one ${slot}`);
}
const banner =
  "<!-- Built by examples/chat/web/build.mjs from examples/chat/web: edit the sources there. -->";
const meta = stamp ? `${banner}\n  <meta name="build-inputs" content="${stamp}">` : banner;
const page = template
  .replace(STAMP_SLOT, () => meta)
  .replace(SCRIPT_SLOT, () => `<script>${script}</script>`);
// Write beside and rename: a server reading the page never sees half of it.
writeFileSync(output + ".tmp", page);
renameSync(output + ".tmp", output);
process.stdout.write(`wrote ${output} (${page.length} characters)\n`);
