// The widget manager: ipywidgets 8 models live in the kernel and talk to the page over comms.
// ManagerBase holds the model registry and the protocol; this class adds the comm transport
// (a @jupyterlab/services KernelConnection), class loading and view display.
import * as base from "@jupyter-widgets/base";
import { ManagerBase } from "@jupyter-widgets/base-manager";
import { MessageLoop } from "@lumino/messaging";
import { Widget } from "@lumino/widgets";

import { pageGlobal } from "./modules.js";
import { addRenderer, rendermime } from "./registry.js";
import { widgetModule } from "./widget-modules.js";

export const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";
const OUTPUT_MESSAGES = new Set(["stream", "display_data", "execute_result", "error", "clear_output"]);
const COMM_MESSAGES = new Set(["comm_open", "comm_msg", "comm_close"]);
const APPLIED_KEPT = 20_000; // comm message ids remembered (a dragged slider sends thousands)

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
    this._inbox = Promise.resolve();
    this._capturing = new Map(); // msg_id -> Output model that shows that request's outputs
    this._pending = new Set(); // models whose comm_open waits in the queue
    this._appliedIds = new Set(); // comm messages that have acted, most recent last
    this._appliedWaiters = new Map(); // comm msg_id -> resolvers
    // Output widgets render their outputs with the page's one registry (registry.js), where
    // this manager draws widget views: in cells and nested in Output widgets alike.
    this.renderMime = rendermime;
    if (registerViews) {
      addRenderer(
        { safe: false, mimeTypes: [WIDGET_VIEW_MIME], createRenderer: (o) => new WidgetViewRenderer(o, this) },
        0,
      );
    }
    // Kernel messages take effect in the order the kernel sent them, as in JupyterLab: a
    // model's comm_open is finished (its class loaded, its children found) before any later
    // message acts. A jslink made after a slider, then a new slider value, apply in that
    // order. The queue is our own, not @jupyterlab/services' (which waits for its handlers):
    // a model whose children predate the page waits for the restore, whose reply must not
    // queue behind it.
    kernel.registerCommTarget(this.comm_target_name, (comm, msg) => {
      const ordered = new OrderedComm(comm, (task) => this.inOrder(task));
      this._pending.add(comm.commId);
      this.inOrder(() => this.handle_comm_open(ordered, msg))
        .catch((err) => console.warn(`nbapp: widget model ${comm.commId} could not be made`, err))
        .finally(() => this._pending.delete(comm.commId));
    });
    // Outputs of a widget callback that runs `with out:`, after the msg_id update before them;
    // and a note of each comm message once it has acted (any target's, widgets or not).
    kernel.iopubMessage?.connect((_, msg) => {
      const type = msg.header.msg_type;
      if (OUTPUT_MESSAGES.has(type)) {
        const parent = msg.parent_header?.msg_id;
        void this.inOrder(() => this._capturing.get(parent)?.addOutput(msg));
      } else if (COMM_MESSAGES.has(type)) {
        void this.inOrder(() => this._applied(msg.header.msg_id));
      }
    });
    window.addEventListener("resize", () => {
      for (const view of this._views) {
        MessageLoop.postMessage(luminoWidget(view), Widget.ResizeMessage.UnknownSize);
      }
    });
  }

  /** Run ``task`` after every kernel message received before it has taken effect. */
  inOrder(task) {
    const run = this._inbox.then(task);
    this._inbox = run.catch(() => undefined);
    return run;
  }

  _applied(msgId) {
    this._appliedIds.add(msgId);
    if (this._appliedIds.size > APPLIED_KEPT) {
      const oldest = this._appliedIds.values().next().value;
      this._appliedIds.delete(oldest);
    }
    for (const resolve of this._appliedWaiters.get(msgId) || []) resolve();
    this._appliedWaiters.delete(msgId);
  }

  /** Resolves once comm message ``msgId`` has acted, or the restore brought the state of
   * everything sent before the page connected (a message this page will never see). */
  whenApplied(msgId) {
    if (!msgId || this._appliedIds.has(msgId)) return this.inOrder(() => undefined);
    const applied = new Promise((resolve) => {
      const list = this._appliedWaiters.get(msgId) || [];
      list.push(resolve);
      this._appliedWaiters.set(msgId, list);
    });
    return Promise.race([applied, this._restored]);
  }

  /** Outputs whose parent is ``msgId`` go to ``model`` (an Output widget) until released. */
  captureOutputs(msgId, model) {
    this._capturing.set(msgId, model);
  }

  releaseOutputs(msgId, model) {
    if (this._capturing.get(msgId) === model) this._capturing.delete(msgId);
  }

  register_model(model_id, modelPromise) {
    super.register_model(model_id, modelPromise);
    for (const resolve of this._waiters.get(model_id) || []) resolve(modelPromise);
    this._waiters.delete(model_id);
  }

  // A view can reach the page before its model: the cell's HTML may beat the kernel's state
  // (or the restore of widgets made before the page connected). Wait without a time limit.
  waitForModel(model_id) {
    if (super.has_model(model_id)) return super.get_model(model_id);
    return new Promise((resolve) => {
      const list = this._waiters.get(model_id) || [];
      list.push(resolve);
      this._waiters.set(model_id, list);
    });
  }

  // A model whose comm_open waits in the queue exists already, for the restore as well: it
  // must not open a second comm for it.
  has_model(model_id) {
    return super.has_model(model_id) || this._pending.has(model_id);
  }

  // A cell's output comes from the kernel after the comm messages before it; it reaches the
  // page another way (the event stream), stamped with the last of them (execute.py). The
  // view waits for that message to act, so it is drawn in the state JupyterLab would draw
  // it in: a slider whose value a jslink sets, with that value.
  async display(model_id, el, afterComm) {
    await this.whenApplied(afterComm);
    const model = await this.waitForModel(model_id);
    const view = await this.create_view(model);
    Widget.attach(luminoWidget(view), el);
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
    if (this.has_model(model_id)) return this.waitForModel(model_id);
    const afterRestore = this._restored.then(() => {
      if (!this.has_model(model_id)) throw new Error(`widget model ${model_id} not found`);
      return this.waitForModel(model_id);
    });
    return Promise.race([this.waitForModel(model_id), afterRestore]);
  }

  async loadClass(className, moduleName, moduleVersion) {
    await pageGlobal(moduleName);
    const module = await widgetModule(moduleName, moduleVersion);
    const cls = module[className];
    if (!cls) throw new Error(`Class ${className} not found in module ${moduleName}@${moduleVersion}`);
    return cls;
  }

  async _create_comm(target, model_id, data, metadata, buffers) {
    const comm = this.kernel.createComm(target, model_id);
    if (data || metadata) comm.open(data, metadata, buffers);
    // A restored model's comm takes its turn like the others; the control comm that restores
    // them must not (the comm_opens it answers may be waiting in the queue).
    return target === this.comm_target_name
      ? new OrderedComm(comm, (task) => this.inOrder(task))
      : new base.shims.services.Comm(comm);
  }

  async _get_comm_info() {
    const reply = await this.kernel.requestCommInfo({ target_name: this.comm_target_name });
    return reply.content.status === "ok" ? reply.content.comms : {};
  }
}

// ipywidgets 8 views keep their Lumino widget in `luminoWidget`, ipywidgets 7 ones in `pWidget`.
function luminoWidget(view) {
  return view.luminoWidget || view.pWidget;
}

// A comm whose messages take their turn in the manager's queue. Messages that arrive before
// the model listens (it is still being made) are kept and handed over in order when it does.
class OrderedComm extends base.shims.services.Comm {
  constructor(comm, inOrder) {
    super(comm);
    this._handlers = {};
    this._early = [];
    // Never return the queue to @jupyterlab/services: it would wait for it (see above).
    comm.onMsg = (msg) => void inOrder(() => this._deliver("msg", msg));
    comm.onClose = (msg) => void inOrder(() => this._deliver("close", msg));
  }

  _deliver(kind, msg) {
    const handler = this._handlers[kind];
    if (handler) return handler(msg);
    this._early.push([kind, msg]);
  }

  on_msg(callback) {
    this._listen("msg", callback);
  }

  on_close(callback) {
    this._listen("close", callback);
  }

  _listen(kind, callback) {
    this._handlers[kind] = callback.bind(this);
    const early = this._early.splice(0);
    for (const [k, msg] of early) {
      if (this._handlers[k]) this._handlers[k](msg);
      else this._early.push([k, msg]);
    }
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
    // nbapp_after_comm: the comm message before this output (execute.py), if any.
    const { model_id, nbapp_after_comm: after } = mimeModel.data[this.mimeType];
    this.node.dataset.modelId = model_id;
    const inSnapshot = this.node.closest(SNAPSHOT_SECTION) !== null;
    const manager = inSnapshot ? this._manager.snapshotManager : this._manager;
    if (!manager) return; // a snapshot without its widgets' state: the live cell will come
    try {
      await manager.display(model_id, this.node, after);
      this.addClass("nbapp-widget-ready");
    } catch (err) {
      console.warn(`nbapp: widget ${model_id} could not be shown`, err);
      this.addClass("nbapp-widget-failed");
      this.node.textContent = "This widget could not be shown.";
    }
  }
}
