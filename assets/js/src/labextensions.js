// Federated JupyterLab extensions (module federation), loaded the way JupyterLab 4 loads the
// `federated_extensions` of its page config, but one at a time and only when needed.
//
// Each labextension's package.json names its container script (`jupyterlab._build.load`,
// a `remoteEntry.<hash>.js` that assigns `window._JUPYTERLAB[<name>]`) and the modules it
// exposes: `./extension` (plugins), `./mimeExtension` (MIME renderers), `./style`. The server
// lists them at /nbapp/api/widget-modules; this module runs the container script, initialises
// it with the page's share scope (shared.js), gets the exposed modules and activates the
// plugins whose required services the page has (the widget registry first of all).
import { exportedIndex } from "./exported.js";
import { addMimeExtension, rendermime, setMimeExtensionLoader } from "./registry.js";
import { shareScope } from "./shared.js";

const INDEX_URL = "/nbapp/api/widget-modules";

const containers = new Map(); // extension name -> promise of its initialised container
const loaded = new Map(); // extension name -> promise of { plugins, mimeExtensions }
const services = new Map(); // token name -> service, for plugins' requires/optional
// What plugins get as their JupyterFrontEnd. nbapp has no shell, commands or document
// registry: plugins that use one fail (and the page falls back); a later loader may add
// what it emulates here (e.g. `docRegistry` for notebook-level renderers).
export const app = {
  started: Promise.resolve(),
  restored: Promise.resolve(),
};

/** Offer a service to plugins that list a token of this name in `requires` or `optional`. */
export function provideService(tokenName, service) {
  services.set(tokenName, service);
}

function tokenName(token) {
  return typeof token === "string" ? token : token?.name;
}

let index = null;

/** The server's list of front ends ({labextensions, nbextensions}), fetched once; with
 * ``wanted``, asked again so that the server looks that module up in extension.js maps. */
export function frontEnds(wanted) {
  if (exportedIndex) return Promise.resolve(exportedIndex); // an exported page carries its own
  const fetchIndex = (query) =>
    fetch(`${INDEX_URL}${query}`, { credentials: "same-origin" }).then((r) =>
      r.ok ? r.json() : Promise.reject(new Error(`widget module index: HTTP ${r.status}`)),
    );
  index ??= fetchIndex("");
  return wanted ? fetchIndex(`?module=${encodeURIComponent(wanted)}`) : index;
}

// Adapters for shared modules that extensions bring themselves: applied to the module the
// first time any container hands it out (e.g. tile layers of ipyleaflet's own Leaflet that
// must not reach other hosts).
const patches = new Map(); // shared package name -> function(module)

export function patchShared(name, patch) {
  patches.set(name, patch);
  wrapPatched();
}

function wrapPatched() {
  for (const [name, patch] of patches) {
    for (const entry of Object.values(shareScope[name] || {})) {
      if (entry._nbappPatched) continue;
      const get = entry.get;
      entry.get = () =>
        Promise.resolve(get()).then((factory) => () => {
          const module = factory();
          patch(module);
          return module;
        });
      entry._nbappPatched = true;
    }
  }
}

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.async = true;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`${url} could not be loaded`));
    document.head.append(script);
  });
}

// Containers that this one takes shared modules from without a fallback (bqplot from
// bqscales, jupyter-vuetify from jupyter-vue) must have registered them first: JupyterLab
// initialises every container before it gets any module; here the dependencies go first.
function container(info, index) {
  if (!containers.has(info.name)) {
    const deps = info.dependencies.map((dep) => index.get(dep)).filter(Boolean);
    containers.set(
      info.name,
      Promise.all(deps.map((dep) => container(dep, index))).then(async () => {
        window._JUPYTERLAB ??= {};
        await loadScript(`${info.url}${info.load}`);
        const found = window._JUPYTERLAB[info.name];
        if (!found) throw new Error(`${info.name}: its remoteEntry defined no container`);
        await found.init(shareScope);
        wrapPatched(); // what init() registered
        return found;
      }),
    );
  }
  return containers.get(info.name);
}

async function exposed(found, module) {
  const factory = await found.get(module);
  const exports = factory();
  // CommonJS or ES module; a module may export one plugin or a list of them.
  const value = Object.prototype.hasOwnProperty.call(exports, "__esModule") ? exports.default : exports;
  return Array.isArray(value) ? value : [value];
}

// Resolves true once the plugin is active; false if it needs a service the page does not
// have or its activate() failed (the extension's other plugins still run).
async function activate(plugin) {
  const resolve = (token) => services.get(tokenName(token));
  const requires = plugin.requires || [];
  if (requires.some((token) => resolve(token) === undefined)) {
    console.debug(`nbapp: plugin ${plugin.id} needs services this page does not have`);
    return false;
  }
  const optional = (plugin.optional || []).map((token) => resolve(token) ?? null);
  try {
    const service = await plugin.activate(app, ...requires.map(resolve), ...optional);
    if (plugin.provides) provideService(tokenName(plugin.provides), service);
    return true;
  } catch (err) {
    console.debug(`nbapp: plugin ${plugin.id} failed to activate`, err);
    return false;
  }
}

/**
 * Load one labextension (and the containers it depends on), apply its styles, activate its
 * plugins; resolves with its MIME renderer extensions (`IRenderMime.IExtension`s) for the
 * page's renderers registry. `index` maps extension names to the server's descriptions.
 */
export function loadExtension(info, index) {
  if (!loaded.has(info.name)) {
    loaded.set(
      info.name,
      container(info, index).then(async (found) => {
        if (info.style) await found.get(info.style).then((factory) => factory());
        const result = { plugins: [], mimeExtensions: [] };
        if (info.extension) {
          for (const plugin of await exposed(found, info.extension)) {
            if (plugin.autoStart !== false && (await activate(plugin))) result.plugins.push(plugin.id);
          }
        }
        if (info.mimeExtension) result.mimeExtensions = await exposed(found, info.mimeExtension);
        return result;
      }),
    );
  }
  return loaded.get(info.name);
}

// MIME renderers of federated extensions (a library's mimeExtension): JupyterLab registers
// all of them at start-up; here they load the first time an output has a type that nothing
// registered draws (registry.js asks). Their package.json does not say which types they draw,
// so they are tried one at a time, until one draws a type asked for.
const triedMime = new Set();

setMimeExtensionLoader(async (mimeTypes) => {
  const drawn = () => mimeTypes.some((type) => rendermime.mimeTypes.includes(type));
  const { labextensions } = await frontEnds();
  const byName = new Map(labextensions.map((info) => [info.name, info]));
  for (const info of labextensions.filter((i) => i.mimeExtension && !triedMime.has(i.name))) {
    triedMime.add(info.name);
    try {
      const { mimeExtensions } = await loadExtension(info, byName);
      mimeExtensions.forEach((extension) => addMimeExtension(extension));
    } catch (err) {
      console.warn(`nbapp: ${info.name}'s renderers could not be loaded`, err);
    }
    if (drawn()) return true;
  }
  return drawn();
});
