// JupyterLab's UI toolkit, for labextensions that take it from the page's share scope
// (ipydatagrid and ipyvuetify import @jupyterlab/apputils): React and the JupyterLab
// components, fetched only when an extension asks for one of them (shared.js).
import * as apputils from "@jupyterlab/apputils";
import * as uiComponents from "@jupyterlab/ui-components";
import * as react from "react";
import * as reactDom from "react-dom";

window.nbappShared.define("lab", {
  "@jupyterlab/apputils": apputils,
  "@jupyterlab/ui-components": uiComponents,
  react,
  "react-dom": reactDom,
});
