// The Output widget, live: while the kernel runs a callback inside `with out:`, the model's
// msg_id names that request, and every output whose parent it is belongs in the widget.
// (html-manager's Output model only shows saved outputs; it never listens to a kernel.)
import { OutputModel as StaticOutputModel, OutputView } from "@jupyter-widgets/html-manager/lib/output.js";
import { OUTPUT_WIDGET_VERSION } from "@jupyter-widgets/output";

export { OUTPUT_WIDGET_VERSION, OutputView };

export class OutputModel extends StaticOutputModel {
  initialize(attributes, options) {
    super.initialize(attributes, options);
    this._capturing = "";
    this.listenTo(this, "change:msg_id", () => this._capture(this.get("msg_id")));
    this._capture(this.get("msg_id"));
  }

  // The manager hands over, in order with the comm messages, every output whose parent is
  // the request this model captures (JupyterLab registers a message hook; a hook only sees
  // requests this page made, and would run before the msg_id update queued ahead of it).
  _capture(msgId) {
    const manager = this.widget_manager;
    if (!manager.captureOutputs || msgId === this._capturing) return;
    if (this._capturing) manager.releaseOutputs(this._capturing, this);
    this._capturing = msgId;
    if (msgId) manager.captureOutputs(msgId, this);
  }

  addOutput(msg) {
    const type = msg.header.msg_type;
    const content = msg.content;
    if (type === "clear_output") {
      this.clear_output(content.wait);
    } else if (type === "stream" || type === "error") {
      this.outputs.add({ ...content, output_type: type });
    } else if (type === "display_data" || type === "execute_result") {
      this.outputs.add({ output_type: type, data: content.data, metadata: content.metadata });
    } else {
      return;
    }
    // Keep the kernel's copy in step, as Jupyter front ends do (out.outputs in Python).
    this.set("outputs", this.outputs.toJSON(), { newMessage: true });
    this.save_changes();
  }
}
