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

// Libraries the page's renderers load on demand (registry.js loaders), and the files that
// replace CDN copies in outputs (desktop/nbapp/cdn.py). Source maps are not shipped, and the
// comments pointing at them are dropped so that nothing asks for them.
const noSourceMap = (text) => text.replace(/\n?\/[*/]# sourceMappingURL=[^\n]*/g, "");
function vendorFile(from, to, transform = noSourceMap) {
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, transform(readFileSync(join(modules, from), "utf8")));
}
for (const dir of ["vega", "leaflet", "jquery", "bootstrap5", "glyphicons", "fontawesome6", "awesome-markers"]) {
  rmSync(join(vendor, dir), { recursive: true, force: true });
}
// vega, vega-lite, vega-embed: their UMD builds, run in this order (each sets a global).
for (const lib of ["vega", "vega-lite", "vega-embed"]) {
  vendorFile(`${lib}/build/${lib}.min.js`, `vega/${lib}.min.js`);
  copy(`${lib}/LICENSE`, `vega/LICENSE.${lib}`);
}
// Leaflet with nbapp's offline tile layer (offline.js's patchLeaflet): tiles from another host
// are not requested and the map says so. Its stylesheet and marker images as published.
await esbuild.build({
  entryPoints: [join(here, "src", "leaflet-offline.js")],
  outfile: join(vendor, "leaflet", "leaflet.js"),
  bundle: true,
  loader: { ".png": "dataurl" },
  format: "iife",
  minify: true,
  target: ["chrome100", "safari15"],
  legalComments: "eof",
  logLevel: "warning",
});
vendorFile("leaflet/dist/leaflet.css", "leaflet/leaflet.css");
copy("leaflet/dist/images", "leaflet/images");
copy("leaflet/LICENSE", "leaflet/LICENSE");
// What folium (branca) outputs link to on CDNs.
vendorFile("jquery3/dist/jquery.min.js", "jquery/jquery.min.js");
copy("jquery3/LICENSE.txt", "jquery/LICENSE.txt");
vendorFile("bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap5/js/bootstrap.bundle.min.js");
vendorFile("bootstrap/dist/css/bootstrap.min.css", "bootstrap5/css/bootstrap.min.css");
copy("bootstrap/LICENSE", "bootstrap5/LICENSE");
vendorFile("fontawesome-free-6/css/all.min.css", "fontawesome6/css/all.min.css");
for (const font of readdirSync(join(modules, "fontawesome-free-6", "webfonts")).filter((f) => f.endsWith(".woff2"))) {
  copy(join("fontawesome-free-6", "webfonts", font), join("fontawesome6", "webfonts", font));
}
copy("fontawesome-free-6/LICENSE.txt", "fontawesome6/LICENSE.txt");
for (const file of ["leaflet.awesome-markers.js", "leaflet.awesome-markers.css", "images"]) {
  copy(join("leaflet.awesome-markers", "dist", file), join("awesome-markers", file));
}
copy("leaflet.awesome-markers/LICENSE", "awesome-markers/LICENSE");
// folium's rotation classes for awesome markers (a file of its GitHub repository, not of any
// package): .fa-rotate-N turns an icon by N degrees.
const rotations = Array.from({ length: 360 }, (_, n) => `.fa-rotate-${n}{transform:rotate(${n}deg)}`);
writeFileSync(join(vendor, "awesome-markers", "leaflet.awesome.rotate.css"), `${rotations.join("\n")}\n`);
// Bootstrap 3's glyphicons alone (folium links them next to Bootstrap 5): the icon rules of
// Bootstrap 3.4's stylesheet, with its woff2 font.
{
  const css = readFileSync(join(modules, "bootstrap3", "dist", "css", "bootstrap.css"), "utf8");
  const rules = css.match(/\.glyphicon[^{]*\{[^}]*\}/g) || [];
  const face = `@font-face{font-family:"Glyphicons Halflings";src:url("fonts/glyphicons-halflings-regular.woff2") format("woff2")}`;
  mkdirSync(join(vendor, "glyphicons", "fonts"), { recursive: true });
  writeFileSync(join(vendor, "glyphicons", "glyphicons.css"), `${face}\n${rules.join("\n")}\n`);
  copy("bootstrap3/dist/fonts/glyphicons-halflings-regular.woff2", "glyphicons/fonts/glyphicons-halflings-regular.woff2");
  copy("bootstrap3/LICENSE", "glyphicons/LICENSE");
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
