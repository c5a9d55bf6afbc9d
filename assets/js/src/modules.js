// The classic notebook's AMD widget bundles (share/jupyter/nbextensions/<dir>/index.js), the
// fallback for widget libraries that ship no labextension. Their webpack public path (where
// their images, fonts and chunks are) comes one of three ways, all answered: the body's
// `data-base-url` + "nbextensions/<dir>" (the server serves them where the classic notebook
// did), require.js's special `module` dependency (its `uri` is the file's own URL), or
// webpack's automatic public path (see asLastScript). Each file runs with a private define(), not a global require.js,
// so notebook outputs that look for a global AMD loader (Plotly, Bokeh) keep their plain path.

// Modules whose views use a library that a notebook output loads into the page, not one they
// bundle: jupyter_bokeh needs the BokehJS that pn.extension() / output_notebook() inject, and
// that loader finishes asynchronously, often after the widget's view is asked for.
const PAGE_GLOBALS = { "@bokeh/jupyter_bokeh": "Bokeh", jupyter_bokeh: "Bokeh" };
const PAGE_GLOBAL_WAIT_MS = 60_000;

// Resolves once window[name] exists and the script that set it has finished (Bokeh's loader
// runs its inline bundles, BokehJS then Panel's, in one go), or after a minute regardless:
// the view then fails with its own error rather than waiting for ever.
export function pageGlobal(moduleName) {
  const name = PAGE_GLOBALS[moduleName];
  if (!name) return Promise.resolve();
  const started = performance.now();
  return new Promise((resolve) => {
    const poll = () => {
      if (window[name] || performance.now() - started > PAGE_GLOBAL_WAIT_MS) setTimeout(resolve, 0);
      else setTimeout(poll, 50);
    };
    poll();
  });
}

/**
 * Run the AMD bundle at ``url``; resolves with what its define() produced. ``dependency``
 * gives the exports of a named dependency (a promise); require.js's special names are
 * answered here.
 */
export async function loadAmd(url, dependency) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const source = await response.text();
  const absolute = new URL(url, location.href).href;
  return evaluate(source, absolute, dependency);
}

// webpack's automatic public path takes the running <script>'s src, else the src of the
// document's last <script>. A bundle's factory runs from a promise here, with no current
// script, so while it runs the last <script> names the bundle's own URL: an element of a
// type browsers neither fetch nor run. (Otherwise images and fonts resolve against
// whichever script came last: ipydatagrid's icons 404ed.)
function asLastScript(uri, run) {
  const marker = document.createElement("script");
  marker.type = "application/vnd.nbapp.amd-bundle";
  marker.src = uri;
  document.documentElement.append(marker);
  try {
    return run();
  } finally {
    marker.remove();
  }
}

function evaluate(source, uri, dependency) {
  return new Promise((resolve, reject) => {
    let defined = false;
    function define(...args) {
      if (typeof args[0] === "string") args.shift(); // named define: the file is ours anyway
      const [deps, factory] = Array.isArray(args[0]) ? args : [["require", "exports", "module"], args[0]];
      defined = true;
      const module = { id: uri, uri, exports: {}, config: () => ({}) };
      const loaded = new Map();
      // require.js's local require: sync for what the define() listed, async otherwise.
      const localRequire = (names, onLoad, onError) => {
        if (typeof names === "string") {
          if (!loaded.has(names)) throw new Error(`${uri}: ${names} was not loaded first`);
          return loaded.get(names);
        }
        Promise.all(names.map(resolveDep)).then((mods) => onLoad?.(...mods), onError);
      };
      const special = { require: localRequire, exports: module.exports, module };
      const resolveDep = (name) => (name in special ? special[name] : dependency(name));
      Promise.all(deps.map(resolveDep))
        .then((mods) => {
          deps.forEach((name, i) => loaded.set(name, mods[i]));
          const result = typeof factory === "function" ? asLastScript(uri, () => factory(...mods)) : factory;
          resolve(result === undefined ? module.exports : result);
        })
        .catch(reject);
    }
    define.amd = {};
    try {
      new Function("define", `${source}\n//# sourceURL=${uri}`)(define);
    } catch (err) {
      reject(err);
      return;
    }
    if (!defined) reject(new Error(`${uri} did not define a module`));
  });
}
