// The widget manager: ipywidgets 8 models live in the kernel and talk to the page over comms.
// ManagerBase holds the model registry and the protocol; this class adds the comm transport
// (a @jupyterlab/services KernelConnection), class loading and view display.
import * as base from "@jupyter-widgets/base";
import { ManagerBase } from "@jupyter-widgets/base-manager";
import * as controls from "@jupyter-widgets/controls";
import { MessageLoop } from "@lumino/messaging";
import { Widget } from "@lumino/widgets";

import { loadThirdParty } from "./modules.js";
import * as output from "./output.js";
import { addRenderer, rendermime } from "./registry.js";

export const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";

const BUILT_IN = {
  "@jupyter-widgets/base": base,
  "@jupyter-widgets/controls": controls,
  "@jupyter-widgets/output": output,
};

// Cells painted from an earlier run's snapshot (nbapp.js): their widget views come from the
// snapshot's manager, not the live one.
const SNAPSHOT_SECTION = "[data-nbapp-snapshot]";

export class LiveManager extends ManagerBase {
  // `registerViews: false`: a manager that only draws (a snapshot's), leaving the page's
  // widget view renderer to the live one; `snapshotManager`: that one, for snapshot cells.
  constructor(kernel, { registerViews = true, snapshotManager = null } = {}) {
    super();
    this.snapshotManager = snapshotManager;
    this.kernel = kernel;
    // JupyterLab's shape of "where the kernel is", for widgets that follow its busy/idle
    // status (jupyter_bokeh batches Panel's events between idles).
    this.context = { session: { kernel } };
    this._waiters = new Map(); // model id -> resolvers of views waiting for that model
    this._views = new Set();
    this._restored = new Promise((resolve) => (this._markRestored = resolve));
    // Output widgets render their outputs with the page's one registry (registry.js), where
    // this manager draws widget views: in cells and nested in Output widgets alike.
    this.renderMime = rendermime;
    if (registerViews) {
      addRenderer(
        { safe: false, mimeTypes: [WIDGET_VIEW_MIME], createRenderer: (o) => new WidgetViewRenderer(o, this) },
        0,
      );
    }
    // Not awaited: @jupyterlab/services handles kernel messages one after another and waits
    // for this handler. A model whose children predate the page waits for the restore, whose
    // reply would queue behind it for ever. EarlyComm keeps each comm's own messages in order.
    kernel.registerCommTarget(this.comm_target_name, (comm, msg) => {
      this.handle_comm_open(new EarlyComm(comm), msg).catch((err) =>
        console.warn(`nbapp: widget model ${comm.commId} could not be made`, err),
      );
    });
    window.addEventListener("resize", () => {
      for (const view of this._views) {
        MessageLoop.postMessage(view.luminoWidget, Widget.ResizeMessage.UnknownSize);
      }
    });
  }

  register_model(model_id, modelPromise) {
    super.register_model(model_id, modelPromise);
    for (const resolve of this._waiters.get(model_id) || []) resolve(modelPromise);
    this._waiters.delete(model_id);
  }

  // A view can reach the page before its model: the cell's HTML may beat the kernel's state
  // (or the restore of widgets made before the page connected). Wait without a time limit.
  waitForModel(model_id) {
    if (this.has_model(model_id)) return this.get_model(model_id);
    return new Promise((resolve) => {
      const list = this._waiters.get(model_id) || [];
      list.push(resolve);
      this._waiters.set(model_id, list);
    });
  }

  async display(model_id, el) {
    const model = await this.waitForModel(model_id);
    const view = await this.create_view(model);
    Widget.attach(view.luminoWidget, el);
    this._views.add(view);
    view.once("remove", () => this._views.delete(view));
    return view;
  }

  async restore() {
    try {
      await this._loadFromKernel();
    } finally {
      this._markRestored();
    }
  }

  // A model's state names other models (a box's children). If the page connected while the
  // notebook ran, the comm_open of a child can predate the page: it comes back with the
  // restore, so wait for it or for the restore to end (ManagerBase gives up after 2 s).
  get_model(model_id) {
    if (this.has_model(model_id)) return super.get_model(model_id);
    const afterRestore = this._restored.then(() => {
      if (!this.has_model(model_id)) throw new Error(`widget model ${model_id} not found`);
      return super.get_model(model_id);
    });
    return Promise.race([this.waitForModel(model_id), afterRestore]);
  }

  async loadClass(className, moduleName, moduleVersion) {
    const module = BUILT_IN[moduleName] || (await loadThirdParty(moduleName, moduleVersion));
    const cls = module[className];
    if (!cls) throw new Error(`Class ${className} not found in module ${moduleName}@${moduleVersion}`);
    return cls;
  }

  async _create_comm(target, model_id, data, metadata, buffers) {
    const comm = this.kernel.createComm(target, model_id);
    if (data || metadata) comm.open(data, metadata, buffers);
    return new base.shims.services.Comm(comm);
  }

  async _get_comm_info() {
    const reply = await this.kernel.requestCommInfo({ target_name: this.comm_target_name });
    return reply.content.status === "ok" ? reply.content.comms : {};
  }
}

// A comm whose model is still being made (its class loading, its children awaited): messages
// and a close that arrive before the model listens are kept and handed over when it does.
class EarlyComm extends base.shims.services.Comm {
  constructor(comm) {
    super(comm);
    this._early = [];
    this._closed = null;
    comm.onMsg = (msg) => void this._early.push(msg);
    comm.onClose = (msg) => void (this._closed = msg);
  }

  on_msg(callback) {
    super.on_msg(callback);
    const early = this._early.splice(0);
    for (const msg of early) this.jsServicesComm.onMsg(msg);
  }

  on_close(callback) {
    super.on_close(callback);
    if (this._closed) this.jsServicesComm.onClose(this._closed);
  }
}

// A widget view, wherever an output shows one: a cell, or an Output widget's outputs.
class WidgetViewRenderer extends Widget {
  constructor(options, manager) {
    super();
    this.mimeType = options.mimeType;
    this._manager = manager;
    this.addClass("nbapp-widget");
  }

  async renderModel(mimeModel) {
    const { model_id } = mimeModel.data[this.mimeType];
    this.node.dataset.modelId = model_id;
    const inSnapshot = this.node.closest(SNAPSHOT_SECTION) !== null;
    const manager = inSnapshot ? this._manager.snapshotManager : this._manager;
    if (!manager) return; // a snapshot without its widgets' state: the live cell will come
    try {
      await manager.display(model_id, this.node);
      this.addClass("nbapp-widget-ready");
    } catch (err) {
      console.warn(`nbapp: widget ${model_id} could not be shown`, err);
      this.addClass("nbapp-widget-failed");
      this.node.textContent = "This widget could not be shown.";
    }
  }
}
