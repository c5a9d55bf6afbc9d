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

// Packages the page provides to widget libraries' front ends (shared.js): those in the main
// bundle, and larger ones in bundles of their own, fetched when an extension asks for them.
const MAIN_SHARED = [
  "@jupyter-widgets/base", "@jupyter-widgets/base-manager", "@jupyter-widgets/controls",
  "@jupyter-widgets/output", "@jupyterlab/coreutils", "@jupyterlab/nbformat",
  "@jupyterlab/observables", "@jupyterlab/outputarea", "@jupyterlab/rendermime",
  "@jupyterlab/services", "@jupyterlab/translation", "@lumino/algorithm", "@lumino/collections",
  "@lumino/commands", "@lumino/coreutils", "@lumino/disposable", "@lumino/domutils",
  "@lumino/dragdrop", "@lumino/keyboard", "@lumino/messaging", "@lumino/polling",
  "@lumino/properties", "@lumino/signaling", "@lumino/virtualdom", "@lumino/widgets",
];
const LAZY_SHARED = {
  lab: ["@jupyterlab/apputils", "@jupyterlab/ui-components", "react", "react-dom"],
  datagrid: ["@lumino/datagrid"],
};
const version = (name) => JSON.parse(readFileSync(join(modules, name, "package.json"), "utf-8")).version;
const manifest = {};
for (const name of MAIN_SHARED) manifest[name] = { version: version(name), bundle: "" };
for (const [bundle, names] of Object.entries(LAZY_SHARED)) {
  for (const name of names) manifest[name] = { version: version(name), bundle };
}

const common = {
  bundle: true,
  format: "iife",
  minify: true,
  target: ["chrome100", "safari15"],
  legalComments: "linked",
  define: {
    __webpack_public_path__: '""',
    global: "window",
    "process.env.NODE_ENV": '"production"',
  },
  logLevel: "warning",
};
const assetLoaders = { ".woff2": "file", ".woff": "file", ".ttf": "file", ".eot": "file" };
const inlineLoaders = { ".svg": "dataurl", ".png": "dataurl", ".gif": "dataurl" };

rmSync(widgets, { recursive: true, force: true });
await esbuild.build({
  ...common,
  entryPoints: { widgets: join(here, "src", "widgets.js") },
  outdir: widgets,
  assetNames: "fonts/[name]-[hash]",
  loader: { ...assetLoaders, ...inlineLoaders },
  define: { ...common.define, __NBAPP_SHARED__: JSON.stringify(manifest) },
  plugins: [woff2Only],
});

// The extra bundles take what the main bundle carries from it at run time
// (window.nbappShared), so there is one Lumino, one @jupyterlab/services, one base.
const fromMainBundle = {
  name: "from-main-bundle",
  setup(build) {
    build.onResolve({ filter: /^[@a-z]/ }, (args) =>
      MAIN_SHARED.includes(args.path) ? { path: args.path, namespace: "nbapp-shared" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "nbapp-shared" }, (args) => ({
      contents: `module.exports = window.nbappShared.require(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
  },
};
// controls 3 imports "@jupyter-widgets/base": ipywidgets 7's, the bundle's base7, not the page's.
const base7 = join(modules, "@jupyter-widgets", "base7", "lib", "index.js");
const controls7Base = {
  name: "controls7-base",
  setup(build) {
    build.onResolve({ filter: /^@jupyter-widgets\/base$/ }, (args) =>
      args.importer.includes("controls7") ? { path: base7 } : undefined,
    );
  },
};
// Their stylesheets become <style> elements added when the bundle runs: one file to fetch,
// and an exported page inlines it as it is.
const injectCss = {
  name: "inject-css",
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      const css = await esbuild.build({
        entryPoints: [args.path],
        bundle: true,
        minify: true,
        write: false,
        loader: { ".woff2": "dataurl", ".woff": "dataurl", ".ttf": "dataurl", ".eot": "dataurl", ...inlineLoaders },
        logLevel: "warning",
      });
      const text = JSON.stringify(css.outputFiles[0].text);
      return {
        contents: `const s = document.createElement("style"); s.textContent = ${text}; document.head.append(s);`,
        loader: "js",
      };
    });
  },
};
// jquery-ui's modules are AMD with a browser-globals fallback, which is what runs here: each
// gets its AMD dependencies (./mouse before ./slider...) imported first, in order.
const jqueryUiDeps = {
  name: "jquery-ui-deps",
  setup(build) {
    build.onLoad({ filter: /[\\/]jquery-ui[\\/]ui[\\/].*\.js$/ }, (args) => {
      const source = readFileSync(args.path, "utf-8");
      const list = source.match(/define\(\s*\[([^\]]*)\]/);
      const deps = list ? [...list[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]).filter((d) => d !== "jquery") : [];
      return { contents: `${deps.map((d) => `import "${d}.js";`).join("\n")}\n${source}`, loader: "js" };
    });
  },
};
for (const bundle of ["widgets7", "lab", "datagrid"]) {
  await esbuild.build({
    ...common,
    entryPoints: { [bundle]: join(here, "src", "bundles", `${bundle}.js`) },
    outdir: widgets,
    loader: inlineLoaders,
    inject: bundle === "widgets7" ? [join(here, "src", "bundles", "jquery-global.js")] : [],
    plugins: [controls7Base, fromMainBundle, jqueryUiDeps, injectCss],
  });
}

// What the bundle was built from, so a test without Node can tell a stale bundle.
const hash = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");
const sources = {};
for (const name of ["package.json", "package-lock.json", "build.mjs"]) sources[name] = hash(join(here, name));
for (const name of readdirSync(join(here, "src"), { recursive: true }).sort()) {
  if (name.endsWith(".js")) sources[`src/${name}`] = hash(join(here, "src", name));
}
writeFileSync(join(widgets, "SOURCES.json"), `${JSON.stringify(sources, null, 2)}\n`);
console.log("vendor assets written to", vendor, "and", widgets);
