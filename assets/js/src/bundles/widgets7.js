// ipywidgets 7's base (4.x) and controls (3.x), for a kernel that runs ipywidgets 7: its
// models ask for @jupyter-widgets/base 1.2.0 and controls 1.5.0 (widget-modules.js). Loaded
// the first time one does; Lumino and @jupyterlab/services are the page's (see build.mjs).
import * as base7 from "@jupyter-widgets/base7";
import * as controls7 from "@jupyter-widgets/controls7";
import "@jupyter-widgets/controls7/css/widgets-base.css";

window.nbappShared.define("widgets7", {
  "@jupyter-widgets/base@7": base7,
  "@jupyter-widgets/controls@7": controls7,
});
