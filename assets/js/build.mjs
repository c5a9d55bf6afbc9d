// Builds assets/static/vendor/ from the locked npm packages: `npm ci && node build.mjs`.
// The output is committed so that `pip install` needs no Node; CI rebuilds and diffs it.
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "..", "static", "vendor");
const modules = join(here, "node_modules");

function copy(from, to) {
  mkdirSync(dirname(join(vendor, to)), { recursive: true });
  cpSync(join(modules, from), join(vendor, to), { recursive: true });
}

rmSync(join(vendor, "mathjax"), { recursive: true, force: true });
// MathJax 3: the TeX+MathML to CommonHTML component, its woff2 fonts, and the TeX extensions
// it autoloads (\require, \color, ...). Speech (sre) and SVG output are left out.
for (const part of [
  "es5/tex-mml-chtml.js",
  "es5/output/chtml/fonts/woff-v2",
  "es5/input/tex/extensions",
  "es5/ui",
  "es5/a11y",
  "LICENSE",
]) {
  copy(join("mathjax", part), join("mathjax", part.replace(/^es5\//, "")));
}
console.log("vendor assets written to", vendor);
