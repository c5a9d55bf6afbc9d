// Live widgets in the nbapp page: connects to the private kernel through the server's
// Jupyter-shaped websocket, restores the widgets the notebook already made, and renders a
// view wherever a cell displayed one (cells arrive later, through nbapp.js's `nbapp:cell`).
import "@fortawesome/fontawesome-free/css/all.min.css";
import "@fortawesome/fontawesome-free/css/v4-shims.min.css";
import "@jupyter-widgets/base/css/index.css";
import "@jupyter-widgets/controls/css/widgets-base.css";
import { KernelConnection } from "@jupyterlab/services/lib/kernel/default.js";
import { ServerConnection } from "@jupyterlab/services/lib/serverconnection.js";
import { CommsOverSubshells } from "@jupyterlab/services/lib/kernel/comm.js";

import { registerHoloVizRenderers } from "./holoviz.js";
import { LiveManager } from "./manager.js";
import { prepareHtml } from "./offline.js";
import * as registry from "./registry.js";
import { renderBundles } from "./registry.js";
import { registerBuiltInRenderers } from "./renderers.js";

// nbapp's bridge speaks the legacy wire format and offers no subprotocol. Chromium fails a
// handshake that offered one and got none back (services would retry without, but only after
// a console error), so never offer one.
class LegacyWebSocket extends WebSocket {
  constructor(url) {
    super(url);
  }
}

function connect(kernelId) {
  const origin = window.location.origin;
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: `${origin}/`,
    wsUrl: `${origin.replace(/^http/, "ws")}/`,
    appendToken: false, // the HttpOnly cookie set on first load authenticates same-origin requests
    WebSocket: LegacyWebSocket,
  });
  return new KernelConnection({
    model: { id: kernelId, name: "python3" },
    serverSettings,
    handleComms: true,
    // Subshells would need control-channel requests, which the bridge never lets through;
    // widget callbacks run on the main shell, in order with the notebook's own cells.
    commsOverSubshells: CommsOverSubshells.Disabled,
  });
}

// ipywidgets typesets descriptions with MathJax 2's `MathJax.Hub.Queue`; the page has
// MathJax 3, which replaces the global when its (deferred) script runs. Answer both.
function mathJaxHub() {
  const mj = window.MathJax;
  if (!mj || mj.Hub) return;
  mj.Hub = {
    Queue(job) {
      const node = Array.isArray(job) && job[0] === "Typeset" ? job[2] : null;
      const ready = window.MathJax.startup && window.MathJax.startup.promise;
      if (node && ready) {
        ready.then(() => window.MathJax.typesetPromise([node])).catch((err) => console.warn(err));
      }
    },
  };
}

// An exported page (`nbapp export`) has no kernel: its widgets come from the state the run
// left, embedded in the page. They show as they were; changing one reaches no kernel.
const OFFLINE_KERNEL = {
  registerCommTarget() {},
  registerMessageHook() {},
  removeMessageHook() {},
  createComm() {
    throw new Error("a saved page has no kernel");
  },
  requestCommInfo: async () => ({ content: { status: "ok", comms: {} } }),
};

function startSaved(stateScript) {
  const manager = new LiveManager(OFFLINE_KERNEL);
  window.nbappWidgets = { manager };
  let state = null;
  try {
    state = JSON.parse(stateScript.textContent);
  } catch (err) {
    console.warn("nbapp: unreadable saved widget state", err);
  }
  const restored = state ? manager.set_state(state) : Promise.resolve();
  restored
    .catch((err) => console.warn("nbapp: saved widget state could not be loaded", err))
    .finally(() => manager._markRestored());
}

// An earlier run's snapshot, painted while this run catches up (see nbapp.js): its widgets
// are drawn from the state that run left, with no kernel behind them (shown, not live) until
// the live run replaces their cells. The view renderer picks this manager inside those cells.
function startSnapshot(stateScript) {
  const manager = new LiveManager(OFFLINE_KERNEL, { registerViews: false });
  let state = null;
  try {
    state = JSON.parse(stateScript.textContent);
  } catch (err) {
    console.warn("nbapp: unreadable snapshot widget state", err);
  }
  (state ? manager.set_state(state) : Promise.resolve())
    .catch((err) => console.warn("nbapp: snapshot widget state could not be loaded", err))
    .finally(() => manager._markRestored());
  return manager;
}

let liveKernel = null; // the page's KernelConnection, once startWidgets made it

function startWidgets() {
  const saved = document.getElementById("nbapp-widget-state");
  if (saved) {
    startSaved(saved);
    return;
  }
  const kernelId = document.body.dataset.kernelId;
  if (!kernelId) return; // a notebook with no kernel (markdown only) has no widgets
  const kernel = connect(kernelId);
  liveKernel = kernel;
  const snapshotState = document.getElementById("nbapp-snapshot-widget-state");
  const snapshotManager = snapshotState ? startSnapshot(snapshotState) : null;
  const manager = new LiveManager(kernel, { snapshotManager });
  window.nbappWidgets = { kernel, manager, snapshotManager }; // for tests and the benchmark

  // Widgets made before this page connected are restored by one request_states on the
  // control comm. It is asked once the notebook has run: while a cell runs the kernel cannot
  // answer, and widgets made meanwhile reach the page live, through comm_open.
  let restoring = null;
  const restore = () => {
    restoring ??= manager.restore().catch((err) => console.warn("nbapp: widget restore failed", err));
  };
  if (document.body.dataset.nbappState !== "running") restore();
  document.addEventListener("nbapp:status", (event) => {
    if (event.detail.state !== "running") restore();
  });
}

// innerHTML and fragments do not run scripts; outputs such as Bokeh's need theirs run, in order.
function runScripts(scripts) {
  for (const old of scripts) {
    const type = old.getAttribute("type");
    if (type && !/javascript|module/.test(type)) continue; // data blocks
    const fresh = document.createElement("script");
    for (const attr of old.attributes) fresh.setAttribute(attr.name, attr.value);
    fresh.textContent = old.textContent;
    old.replaceWith(fresh);
  }
}

/** Show a cell's HTML at the end of `target`: made offline (offline.js), its bundles drawn
 * by the registry (which first decides which fallbacks stay), then the scripts of the HTML
 * that stayed run. Scripts a renderer made are its own and have run already. */
function insertHtml(target, html) {
  const content = prepareHtml(html);
  const scripts = Array.from(content.querySelectorAll("script"));
  target.append(content);
  renderBundles(target);
  runScripts(scripts.filter((script) => script.isConnected));
}

// An exported page carries its cells in templates, shown the same way as the live page's.
function insertExportedCells() {
  for (const [id, container] of [["nbapp-export-main", "nbapp-cells"], ["nbapp-export-sidebar", "nbapp-sidebar"]]) {
    const template = document.getElementById(id);
    if (template) insertHtml(document.getElementById(container), template.innerHTML);
  }
}

function start() {
  // nbapp.js shows each cell through insertHtml; the registry is there for extensions.
  window.nbapp = { insertHtml, registry };
  registerBuiltInRenderers();
  registerHoloVizRenderers(() => liveKernel);
  mathJaxHub();
  document.addEventListener("DOMContentLoaded", mathJaxHub);
  startWidgets(); // registers the widget view renderer with the page's registry
  insertExportedCells();
}

start();
