// Builds assets/static/vendor/ and assets/static/widgets/ from the locked npm packages:
// `npm ci && node build.mjs` (`make assets`). The output is committed so that a fresh
// `pip install` needs no Node (the wheel is plain Python plus these files); `make assets-check`
// rebuilds and diffs it, and tests/test_widgets_bundle.py checks the recorded source hashes.
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const staticDir = join(here, "..", "static");
const vendor = join(staticDir, "vendor");
const widgets = join(staticDir, "widgets");
const modules = join(here, "node_modules");

function copy(from, to) {
  mkdirSync(dirname(join(vendor, to)), { recursive: true });
  cpSync(join(modules, from), join(vendor, to), { recursive: true });
}

rmSync(join(vendor, "mathjax"), { recursive: true, force: true });
// MathJax 3: the TeX+MathML to CommonHTML component, its woff2 fonts, and the TeX extensions
// it autoloads (\require, \color, ...); and the TeX to SVG component, which needs no font
// files, for pages exported to one self-contained file. Speech (sre) is left out.
for (const part of [
  "es5/tex-mml-chtml.js",
  "es5/tex-svg.js",
  "es5/output/chtml/fonts/woff-v2",
  "es5/input/tex/extensions",
  "es5/ui",
  "es5/a11y",
  "LICENSE",
]) {
  copy(join("mathjax", part), join("mathjax", part.replace(/^es5\//, "")));
}

// Font Awesome lists eot/woff/ttf/svg fallbacks after woff2; every browser nbapp targets
// (Chromium, WebKit, WebView2) takes woff2, so the others become empty data URLs.
const woff2Only = {
  name: "woff2-only",
  setup(build) {
    build.onResolve({ filter: /fa-[a-z]+-\d+\.(eot|ttf|woff|svg)([?#].*)?$/ }, (args) => ({
      path: args.path,
      namespace: "dropped-font",
    }));
    build.onLoad({ filter: /.*/, namespace: "dropped-font" }, () => ({ contents: "", loader: "dataurl" }));
  },
};

rmSync(widgets, { recursive: true, force: true });
await esbuild.build({
  entryPoints: { widgets: join(here, "src", "widgets.js") },
  outdir: widgets,
  bundle: true,
  format: "iife",
  minify: true,
  target: ["chrome100", "safari15"],
  legalComments: "linked",
  assetNames: "fonts/[name]-[hash]",
  loader: { ".woff2": "file", ".woff": "file", ".ttf": "file", ".eot": "file", ".svg": "dataurl", ".png": "dataurl", ".gif": "dataurl" },
  define: {
    __webpack_public_path__: '""',
    global: "window",
    "process.env.NODE_ENV": '"production"',
  },
  plugins: [woff2Only],
  logLevel: "warning",
});

// What the bundle was built from, so a test without Node can tell a stale bundle.
const hash = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");
const sources = {};
for (const name of ["package.json", "package-lock.json", "build.mjs"]) sources[name] = hash(join(here, name));
for (const name of readdirSync(join(here, "src")).sort()) sources[`src/${name}`] = hash(join(here, "src", name));
writeFileSync(join(widgets, "SOURCES.json"), `${JSON.stringify(sources, null, 2)}\n`);
console.log("vendor assets written to", vendor, "and", widgets);
