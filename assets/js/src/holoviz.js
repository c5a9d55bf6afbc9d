// HoloViz (Panel, HoloViews, hvplot) and Bokeh outputs, drawn as JupyterLab's pyviz and
// jupyter_bokeh extensions draw them, and connected to the kernel through the page's
// KernelConnection (comms over nbapp's websocket bridge).
//
// Four MIME types (desktop/nbapp/page/render.py sends them whole, as data blocks):
// - load bundles (`application/vnd.holoviews_load.v0+json`, `application/vnd.bokehjs_load.v0+json`)
//   are scripts that load BokehJS, Panel and extensions' bundles by URL. The kernel names them
//   by their CDN URLs or the app's own (library_assets.py); CDN URLs of files the app serves
//   become local ones here (the same rules as every output's), so each file comes once from
//   the app's server, from the installed Python package.
// - exec bundles (`application/vnd.holoviews_exec.v0+json`, `application/vnd.bokehjs_exec.v0+json`)
//   are one Bokeh document each: HTML with a root element and a script that embeds the
//   document once BokehJS is there. Panel's document holds a CommManager model that asks
//   `window.PyViz.kernels[plot id]` for comms to the kernel (pyviz_comms' JupyterCommManager);
//   this renderer puts a proxy there, as the pyviz extension does. Bokeh's documents
//   (push_notebook) look in `Bokeh.embed.kernels[document id]`.
// An exported page has no kernel: its documents render as they were and a note says that
// their callbacks need the app.
import { Widget } from "@lumino/widgets";

import { isExternal, prepareHtmlText, rewriteCdn } from "./offline.js";
import { addRenderer, loadScripts } from "./registry.js";

export const HV_LOAD = "application/vnd.holoviews_load.v0+json";
export const HV_EXEC = "application/vnd.holoviews_exec.v0+json";
export const BOKEH_LOAD = "application/vnd.bokehjs_load.v0+json";
export const BOKEH_EXEC = "application/vnd.bokehjs_exec.v0+json";

// How long a Bokeh document waits for BokehJS before it is embedded anyway (Panel's own
// embed script gives up after 200 tries of 25 ms once the page has loaded).
const BOKEH_WAIT_MS = 5000;
const BOKEH_POLL_MS = 25;

let pageKernel = () => null;

/** Run `source` as a classic script in `node`: inline scripts run when they are attached. */
function runScript(node, source) {
  const script = document.createElement("script");
  script.textContent = source;
  node.append(script);
}

// innerHTML does not run scripts; re-create them (as the pyviz extension does), in order.
function activateScripts(node) {
  for (const old of node.querySelectorAll("script")) {
    const type = old.getAttribute("type");
    if (type && !/javascript|module/.test(type)) continue; // data blocks (docs JSON)
    const fresh = document.createElement("script");
    for (const attr of old.attributes) fresh.setAttribute(attr.name, attr.value);
    fresh.textContent = old.textContent;
    old.replaceWith(fresh);
  }
}

function pyViz() {
  if (window.PyViz === undefined || window.PyViz instanceof HTMLElement) {
    window.PyViz = { comms: {}, comm_status: {}, kernels: {}, receivers: {}, plot_index: {} };
  }
  window.PyViz.plot_index ??= {};
  window.PyViz.kernels ??= {};
  return window.PyViz;
}

// What the kernel last said each model property is, from the Bokeh patches it sends ("id
// attr" -> JSON of the value). Panel's CommManager applies a patch from the kernel to the
// page's document and then sends the same change back, and the kernel's comm takes no other
// message until it has answered that echo: a slider moved again right away waited for it.
// A change to a value the kernel already has tells it nothing; it is not sent (the comm is
// answered as the kernel would, "Ready"). Only whole-value property changes are compared.
const known = new Map();

function propertyKey(event) {
  return `${event.model?.id}\u0000${event.attr}`;
}

function rememberKernelPatch(data) {
  if (typeof data !== "string" || !data.includes('"ModelChanged"')) return;
  let content;
  try {
    content = JSON.parse(data);
  } catch {
    return;
  }
  for (const event of content?.events || []) {
    if (event.kind === "ModelChanged") known.set(propertyKey(event), JSON.stringify(event.new));
  }
}

/** The page's patch without the changes the kernel already has; null when none is left. */
function newsOnly(message) {
  const events = message?.content?.events;
  if (message?.header?.msgtype !== "PATCH-DOC" || !Array.isArray(events)) return message;
  const fresh = events.filter((event) => {
    if (event.kind !== "ModelChanged") return true;
    const value = JSON.stringify(event.new);
    if (known.get(propertyKey(event)) === value) return false;
    known.set(propertyKey(event), value); // the kernel's, once sent
    return true;
  });
  if (fresh.length === events.length) return message;
  return fresh.length ? { ...message, content: { ...message.content, events: fresh } } : null;
}

// A comm to the kernel in the shape pyviz_comms' JupyterCommManager expects of JupyterLab's.
function commProxy(kernel, targetName, commId) {
  const comm = kernel.createComm(targetName, commId);
  let onMsg = null;
  const proxy = {
    active: true,
    connected: false,
    set onMsg(callback) {
      onMsg = callback;
      comm.onMsg = callback;
    },
    open(data, metadata, buffers) {
      comm.open(data, metadata, buffers);
      proxy.connected = true;
    },
    send(data, metadata, buffers, disposeOnDone) {
      if (comm.isDisposed) return;
      const message = newsOnly(data);
      if (message === null) {
        // Nothing the kernel does not know: answered here, as the kernel would answer it.
        setTimeout(() => onMsg?.({ content: { data: {} }, metadata: { msg_type: "Ready" } }), 0);
        return;
      }
      comm.send(message, metadata, buffers, disposeOnDone);
    },
  };
  return proxy;
}

// The kernel's side of a document's comms: what it sends is noted before Panel applies it.
function watchKernelComm(comm) {
  return new Proxy(comm, {
    set(target, name, value) {
      if (name === "onMsg" && typeof value === "function") {
        target.onMsg = (msg) => {
          rememberKernelPatch(msg?.content?.data);
          return value(msg);
        };
        return true;
      }
      return Reflect.set(target, name, value);
    },
  });
}

// On an exported page: documents render, their changes go nowhere.
const NO_COMM = {
  active: true,
  connected: false,
  set onMsg(_callback) {},
  open() {},
  send() {},
};

function kernelProxy(kernel) {
  if (!kernel) {
    return { registerCommTarget() {}, connectToComm: () => ({ ...NO_COMM }) };
  }
  return {
    registerCommTarget: (targetName, callback) =>
      kernel.registerCommTarget(targetName, (comm, msg) => callback(watchKernelComm(comm), msg)),
    connectToComm: (targetName, commId) => commProxy(kernel, targetName, commId),
  };
}

let staticNoteShown = false;

function noteStaticPage() {
  if (staticNoteShown) return;
  staticNoteShown = true;
  const note = document.createElement("p");
  note.className = "nbapp-static-note";
  note.setAttribute("role", "note");
  note.textContent =
    "A saved copy: its Panel and Bokeh widgets still move, but nothing they would compute in " +
    "Python runs here. Open the notebook with nbapp for that.";
  const layout = document.querySelector(".nbapp-layout");
  if (layout) layout.before(note);
  else document.body.prepend(note);
}

// A load script names the scripts it needs in `const js_urls = [...]` (Bokeh's and Panel's
// autoload templates alike). Those the app serves are loaded here, each once per page, and
// taken off its list: Bokeh's loader runs every script it lists again (a second BokehJS
// without Panel's models when output_notebook follows pn.extension), and Panel's skips only
// scripts it recognises by their CDN URLs.
const JS_URLS = /const js_urls = (\[[^\]\n]*\]);/;

function appUrls(source) {
  const match = JS_URLS.exec(source);
  if (!match) return { urls: [], source };
  let listed;
  try {
    listed = JSON.parse(match[1]);
  } catch {
    return { urls: [], source };
  }
  const ours = (url) => !isExternal(url);
  const urls = listed.filter(ours).map((url) => new URL(url, document.baseURI).href);
  const rest = JSON.stringify(listed.filter((url) => !ours(url)));
  return { urls, source: source.replace(match[0], `const js_urls = ${rest};`) };
}

let loadQueue = Promise.resolve(); // load bundles run one after the other, in page order

function whenBokeh() {
  if (window.Bokeh) return Promise.resolve(window.Bokeh);
  return new Promise((resolve) => {
    const deadline = Date.now() + BOKEH_WAIT_MS;
    const timer = setInterval(() => {
      if (window.Bokeh || Date.now() > deadline) {
        clearInterval(timer);
        resolve(window.Bokeh);
      }
    }, BOKEH_POLL_MS);
  });
}

/** A load bundle: the scripts it names, then its own script (which registers extensions). */
class LoadRenderer extends Widget {
  constructor(options) {
    super();
    this.mimeType = options.mimeType;
    this.addClass("nbapp-bokeh-load");
  }

  renderModel(model) {
    const { urls, source } = appUrls(rewriteCdn(String(model.data[this.mimeType] ?? "")));
    if (!urls.length) {
      // Nothing to load first (pyviz_comms' comm manager, a reloading autoload): it runs
      // now, as in JupyterLab, before the documents of the same cell that need it.
      runScript(this.node, source);
      return Promise.resolve();
    }
    const run = async () => {
      await loadScripts(urls).catch((err) => console.warn("nbapp: BokehJS did not load", err));
      runScript(this.node, source);
    };
    loadQueue = loadQueue.then(run);
    return loadQueue;
  }
}

/** A Panel/HoloViews document, connected to the kernel through window.PyViz.kernels. */
class HoloVizExec extends Widget {
  constructor(options) {
    super();
    this.mimeType = options.mimeType;
    this.addClass("nbapp-holoviz-output");
  }

  async renderModel(model) {
    const metadata = model.metadata[this.mimeType] || {};
    const id = metadata.id;
    if (id === undefined) {
      serverDocument(this.node);
      return;
    }
    // An earlier run's snapshot (painted while this run starts) has no Python objects
    // behind it in this kernel: drawn, not connected, until the live output replaces it.
    const snapshot = this.node.closest("[data-nbapp-snapshot]") !== null;
    const kernel = snapshot ? null : pageKernel();
    if (!kernel && !snapshot) noteStaticPage();
    const pyviz = pyViz();
    pyviz.kernels[id] = kernelProxy(kernel);
    const holder = document.createElement("div");
    holder.innerHTML = prepareHtmlText(String(model.data["text/html"] ?? ""));
    this.node.append(holder);
    activateScripts(holder);
    const js = model.data["application/javascript"];
    if (js) runScript(this.node, rewriteCdn(String(js)));
    pyviz.plot_index[id] = window.Bokeh?.index?.[id] ?? null;
  }
}

/** A Bokeh document (bokeh.io.show); push_notebook reaches it through Bokeh.embed.kernels. */
class BokehExec extends Widget {
  constructor(options) {
    super();
    this.mimeType = options.mimeType;
    this.addClass("nbapp-bokeh-output");
  }

  async renderModel(model) {
    const metadata = model.metadata[this.mimeType] || {};
    if (metadata.id === undefined) {
      serverDocument(this.node);
      return;
    }
    const kernel = this.node.closest("[data-nbapp-snapshot]") ? null : pageKernel();
    const Bokeh = await whenBokeh();
    if (Bokeh?.embed?.kernels !== undefined) {
      Bokeh.embed.kernels[metadata.id] = kernel
        ? { registerCommTarget: (name, callback) => kernel.registerCommTarget(name, callback) }
        : { registerCommTarget() {} };
    }
    const html = model.data["text/html"];
    if (html) {
      const holder = document.createElement("div");
      holder.innerHTML = prepareHtmlText(String(html));
      this.node.append(holder);
      activateScripts(holder);
    }
    runScript(this.node, rewriteCdn(String(model.data["application/javascript"] ?? "")));
  }
}

// `pn.io.show_server` and Bokeh server apps in a notebook live on another port of the kernel's;
// the page may talk to its own app only.
function serverDocument(node) {
  node.classList.add("nbapp-offline");
  node.textContent =
    "This output is a Bokeh server app on a port of its own, which the app does not open. " +
    "Display the Panel object itself instead.";
}

function factory(mimeTypes, Renderer) {
  // Rank -1, as the pyviz extension registers them: they win over the text/html and
  // application/javascript that come in the same bundle.
  return { safe: false, mimeTypes, defaultRank: -1, createRenderer: (options) => new Renderer(options) };
}

/** Register the renderers; `kernel()` gives the page's KernelConnection (null: no kernel). */
export function registerHoloVizRenderers(kernel) {
  pageKernel = kernel;
  addRenderer(factory([HV_LOAD, BOKEH_LOAD], LoadRenderer));
  addRenderer(factory([HV_EXEC], HoloVizExec));
  addRenderer(factory([BOKEH_EXEC], BokehExec));
}
