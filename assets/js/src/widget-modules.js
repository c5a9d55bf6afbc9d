// Where the widget manager's classes come from: the widget registry of JupyterLab's widget
// manager (jupyterlab_widgets), which plugins fill with registerWidget({name, version,
// exports}) and which answers a model's (module, semver range) with the highest registered
// version in that range.
//
// Registered up front: ipywidgets 8's base 2.0.0, controls 2.0.0 and output 1.0.0 (this
// bundle), and, as Voilà 0.5 and html-manager do, ipywidgets 7's base 1.2.0 and controls
// 1.5.0 (base 4 / controls 3, a bundle of their own loaded the first time a kernel running
// ipywidgets 7 asks). Any other module is looked up when a model first names it: the
// labextension of that name (federated, JupyterLab's way), then the other widget
// labextensions, then the classic notebook's AMD bundle of that name (modules.js).
import * as base from "@jupyter-widgets/base";
import * as controls from "@jupyter-widgets/controls";
import { JUPYTER_CONTROLS_VERSION } from "@jupyter-widgets/controls/lib/version.js";
import { maxSatisfying, valid, validRange } from "semver";

import { frontEnds, loadExtension, patchShared, provideService } from "./labextensions.js";
import { loadAmd } from "./modules.js";
import { patchLeaflet } from "./offline.js";
import * as output from "./output.js";
import { bundleModule } from "./shared.js";

const WIDGET_REGISTRY_TOKEN = "jupyter.extensions.jupyterWidgetRegistry";
// JupyterLab's own widget manager; nbapp's page is the widget manager.
const LAB_MANAGER = "@jupyter-widgets/jupyterlab-manager";

const registry = new Map(); // module name -> Map(version -> exports or a function giving them)

/** IJupyterWidgetRegistry.registerWidget, for plugins and for nbapp's own modules. */
export function registerWidget({ name, version, exports }) {
  if (!registry.has(name)) registry.set(name, new Map());
  const versions = registry.get(name);
  if (!versions.has(version)) versions.set(version, exports);
}

provideService(WIDGET_REGISTRY_TOKEN, { registerWidget });
// ipyleaflet brings its own Leaflet: its base map draws no remote tiles and says so.
patchShared("leaflet", (module) => patchLeaflet(module?.TileLayer ? module : module?.default));

registerWidget({ name: "@jupyter-widgets/base", version: base.JUPYTER_WIDGETS_VERSION, exports: base });
registerWidget({ name: "@jupyter-widgets/controls", version: JUPYTER_CONTROLS_VERSION, exports: controls });
registerWidget({ name: "@jupyter-widgets/output", version: output.OUTPUT_WIDGET_VERSION, exports: output });
registerWidget({
  name: "@jupyter-widgets/base",
  version: "1.2.0",
  exports: () => bundleModule("widgets7", "@jupyter-widgets/base@7"),
});
registerWidget({
  name: "@jupyter-widgets/controls",
  version: "1.5.0",
  exports: () => bundleModule("widgets7", "@jupyter-widgets/controls@7"),
});

// A model's module version is a semver range; base and controls send a bare version
// ("2.0.0", "1.5.0"), which jupyterlab_widgets reads as the caret range of that version.
function rangeOf(name, version) {
  if ((name === "@jupyter-widgets/base" || name === "@jupyter-widgets/controls") && valid(version)) {
    return `^${version}`;
  }
  return validRange(version) ? version : "*";
}

function registered(name, version) {
  const versions = registry.get(name);
  if (!versions) return undefined;
  const best = maxSatisfying([...versions.keys()], rangeOf(name, version));
  if (best === null) {
    const known = [...versions.keys()].join(", ");
    throw new Error(`Module ${name}, version ${version} is not registered, however, ${known} is`);
  }
  const exports = versions.get(best);
  return typeof exports === "function" ? Promise.resolve(exports()) : Promise.resolve(exports);
}

async function loadAll(extensions, byName) {
  const results = await Promise.allSettled(extensions.map((info) => loadExtension(info, byName)));
  for (const [i, result] of results.entries()) {
    if (result.status === "rejected") console.warn(`nbapp: ${extensions[i].name} could not be loaded`, result.reason);
  }
}

// Where a module not yet registered comes from: the labextension named like it, those that
// depend on a package of that name (jupyterlab-datawidgets registers jupyter-datawidgets),
// the classic notebook's AMD bundle of that name, and only then every other widget
// labextension (JupyterLab activates all of them at start-up; here, only for a name found
// nowhere else). Resolves with the AMD bundle's URL if that is where it is.
async function findModule(name) {
  const { labextensions } = await frontEnds();
  const byName = new Map(labextensions.map((info) => [info.name, info]));
  const candidates = labextensions.filter((info) => info.extension && info.name !== LAB_MANAGER);
  await loadAll(candidates.filter((info) => info.name === name), byName);
  if (registry.has(name)) return null;
  await loadAll(candidates.filter((info) => info.dependencies.includes(name)), byName);
  if (registry.has(name)) return null;
  const libraries = candidates.filter((info) => info.widgets);
  const url = await amdUrl(name);
  if (!url) await loadAll(libraries, byName);
  return registry.has(name) ? null : url;
}

async function amdUrl(name) {
  let { nbextensions } = await frontEnds();
  if (!(name in nbextensions)) ({ nbextensions } = await frontEnds(name));
  return nbextensions[name] || null;
}

const amdModules = new Map(); // name -> promise of exports (AMD bundles carry no version)

// An AMD bundle's dependency: one of the page's widget packages, or another AMD bundle
// (pythreejs's "three", ipyvuetify's "jupyter-vue"), never a labextension's copy.
function amdDependency(name) {
  if (name.startsWith("@jupyter-widgets/") && registry.has(name)) return registered(name, "*");
  return amdModule(name, "*", amdUrl(name));
}

function amdModule(name, version, url) {
  if (!amdModules.has(name)) {
    amdModules.set(
      name,
      url.then((found) => {
        if (!found) {
          throw new Error(`The widget module ${name}@${version} is not installed in the app's Python environment`);
        }
        return loadAmd(found, amdDependency).then((exports) => {
          // Leaflet inside an AMD bundle (ipyleaflet's) sets window.L as it loads.
          patchLeaflet(window.L);
          return exports;
        });
      }),
    );
  }
  return amdModules.get(name);
}

/** The exports of widget module ``name`` for a model that asks for ``version``. */
export async function widgetModule(name, version) {
  if (registry.has(name)) return registered(name, version);
  if (amdModules.has(name)) return amdModules.get(name);
  searches.set(name, searches.get(name) ?? findModule(name));
  const url = await searches.get(name);
  if (registry.has(name)) return registered(name, version);
  return amdModule(name, version, Promise.resolve(url));
}

const searches = new Map(); // name -> promise of findModule(name)
