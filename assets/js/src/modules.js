// Third-party widget modules (bqplot, ipympl, anywidget, jupyter_bokeh...) come from what the
// Python environment installed: their classic-notebook AMD bundles in share/jupyter/nbextensions,
// which the server lists at /nbapp/api/widget-modules and serves under /nbapp/nbextensions/.
// They are evaluated with a private define() rather than a global require.js, so notebook
// outputs that look for a global AMD loader (Plotly, Bokeh) keep taking their plain path.
import * as base from "@jupyter-widgets/base";
import * as controls from "@jupyter-widgets/controls";
import * as output from "./output.js";

const shared = {
  "@jupyter-widgets/base": base,
  "@jupyter-widgets/controls": controls,
  "@jupyter-widgets/output": output,
};
// Modules whose views use a library that a notebook output loads into the page, not one they
// bundle: jupyter_bokeh needs the BokehJS that pn.extension() / output_notebook() inject, and
// that loader finishes asynchronously, often after the widget's view is asked for.
const PAGE_GLOBALS = { "@bokeh/jupyter_bokeh": "Bokeh", jupyter_bokeh: "Bokeh" };
const PAGE_GLOBAL_WAIT_MS = 60_000;
const loading = new Map(); // module name -> promise of its exports
let index = null;

function moduleIndex() {
  if (!index) {
    index = fetch("/nbapp/api/widget-modules", { credentials: "same-origin" }).then((r) =>
      r.ok ? r.json() : Promise.reject(new Error(`widget module index: HTTP ${r.status}`)),
    );
  }
  return index;
}

export function loadThirdParty(name, version) {
  if (name in shared) return Promise.resolve(shared[name]);
  if (!loading.has(name)) loading.set(name, fetchModule(name, version));
  return loading.get(name);
}

// Resolves once window[name] exists and the script that set it has finished (Bokeh's loader
// runs its inline bundles, BokehJS then Panel's, in one go), or after a minute regardless:
// the view then fails with its own error rather than waiting for ever.
function pageGlobal(name) {
  const started = performance.now();
  return new Promise((resolve) => {
    const poll = () => {
      if (window[name] || performance.now() - started > PAGE_GLOBAL_WAIT_MS) setTimeout(resolve, 0);
      else setTimeout(poll, 50);
    };
    poll();
  });
}

async function fetchModule(name, version) {
  if (name in PAGE_GLOBALS) await pageGlobal(PAGE_GLOBALS[name]);
  const url = (await moduleIndex())[name];
  if (!url) {
    throw new Error(`The widget module ${name}@${version} is not installed in the app's Python environment`);
  }
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return evaluate(await response.text(), url);
}

// Runs one AMD file and resolves with what its (single) define() produced.
function evaluate(source, url) {
  return new Promise((resolve, reject) => {
    let defined = false;
    function define(...args) {
      if (typeof args[0] === "string") args.shift(); // named define: the file is ours anyway
      const [deps, factory] = Array.isArray(args[0]) ? args : [[], args[0]];
      defined = true;
      Promise.all(deps.map((dep) => loadThirdParty(dep, "*")))
        .then((mods) => {
          const exports = {};
          const result =
            typeof factory === "function"
              ? factory(...deps.map((d, i) => (d === "exports" ? exports : mods[i])))
              : factory;
          resolve(result === undefined ? exports : result);
        })
        .catch(reject);
    }
    define.amd = {};
    try {
      new Function("define", `${source}\n//# sourceURL=${new URL(url, location.href)}`)(define);
    } catch (err) {
      reject(err);
      return;
    }
    if (!defined) reject(new Error(`${url} did not define a module`));
  });
}
