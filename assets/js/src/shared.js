// The page's shared modules, as JupyterLab's page provides them to federated extensions.
//
// A labextension's remoteEntry asks webpack's share scope for the packages it does not bundle
// (`@jupyter-widgets/base`, `@lumino/widgets`, `@jupyterlab/apputils`...), most of them as
// singletons with no fallback. The scope maps package -> version -> { get, from, eager, loaded };
// `get()` resolves to a factory of the module. Entries marked loaded win the singleton choice
// over copies an extension registers itself, so every widget library extends the same
// `@jupyter-widgets/base` classes that the manager uses, whatever range it was built for
// (ipywidgets 7 libraries ask for ^1 - ^4 and get a warning, as in JupyterLab 4).
//
// Packages already in this bundle are provided as they are. Larger ones that only some
// libraries ask for (`@jupyterlab/apputils` with React, `@lumino/datagrid`) live in bundles of
// their own that are fetched the first time an extension asks for them. build.mjs passes the
// versions and bundle names in __NBAPP_SHARED__.
import * as widgetsBase from "@jupyter-widgets/base";
import * as baseManager from "@jupyter-widgets/base-manager";
import * as controls from "@jupyter-widgets/controls";
import * as coreutils from "@jupyterlab/coreutils";
import * as nbformat from "@jupyterlab/nbformat";
import * as observables from "@jupyterlab/observables";
import * as outputarea from "@jupyterlab/outputarea";
import * as rendermime from "@jupyterlab/rendermime";
import * as services from "@jupyterlab/services";
import * as translation from "@jupyterlab/translation";
import * as algorithm from "@lumino/algorithm";
import * as collections from "@lumino/collections";
import * as commands from "@lumino/commands";
import * as luminoCoreutils from "@lumino/coreutils";
import * as disposable from "@lumino/disposable";
import * as domutils from "@lumino/domutils";
import * as dragdrop from "@lumino/dragdrop";
import * as keyboard from "@lumino/keyboard";
import * as messaging from "@lumino/messaging";
import * as polling from "@lumino/polling";
import * as properties from "@lumino/properties";
import * as signaling from "@lumino/signaling";
import * as virtualdom from "@lumino/virtualdom";
import * as luminoWidgets from "@lumino/widgets";

import * as output from "./output.js";

/* global __NBAPP_SHARED__ */
const MANIFEST = __NBAPP_SHARED__; // name -> { version, bundle }; bundle "" is this one
const BUNDLE_URL = "/nbapp/static/widgets/";
const FROM = "nbapp";

const modules = new Map(
  Object.entries({
    "@jupyter-widgets/base": widgetsBase,
    "@jupyter-widgets/base-manager": baseManager,
    "@jupyter-widgets/controls": controls,
    "@jupyter-widgets/output": output,
    "@jupyterlab/coreutils": coreutils,
    "@jupyterlab/nbformat": nbformat,
    "@jupyterlab/observables": observables,
    "@jupyterlab/outputarea": outputarea,
    "@jupyterlab/rendermime": rendermime,
    "@jupyterlab/services": services,
    "@jupyterlab/translation": translation,
    "@lumino/algorithm": algorithm,
    "@lumino/collections": collections,
    "@lumino/commands": commands,
    "@lumino/coreutils": luminoCoreutils,
    "@lumino/disposable": disposable,
    "@lumino/domutils": domutils,
    "@lumino/dragdrop": dragdrop,
    "@lumino/keyboard": keyboard,
    "@lumino/messaging": messaging,
    "@lumino/polling": polling,
    "@lumino/properties": properties,
    "@lumino/signaling": signaling,
    "@lumino/virtualdom": virtualdom,
    "@lumino/widgets": luminoWidgets,
  }),
);
const bundles = new Map(); // bundle name -> promise that its modules are in `modules`

// webpack's `default` share scope, handed to every container's init().
export const shareScope = {};

for (const [name, { version, bundle }] of Object.entries(MANIFEST)) {
  shareScope[name] = {
    [version]: {
      get: () => sharedModule(name).then((module) => () => module),
      from: FROM,
      eager: !bundle,
      loaded: 1,
    },
  };
}

// Extra bundles announce their modules through this global when their script runs.
window.nbappShared = {
  define(bundle, provided) {
    for (const [name, module] of Object.entries(provided)) modules.set(name, module);
    bundles.get(bundle)?.resolve();
  },
  // For extra bundles' imports of packages this bundle carries (see build.mjs).
  require(name) {
    const module = modules.get(name);
    if (!module) throw new Error(`nbapp: shared module ${name} is not loaded`);
    return module;
  },
};

/** A bundle of nbapp's own (built from the lockfile, served by the app) loaded once. */
export function loadBundle(bundle) {
  if (!bundles.has(bundle)) {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    bundles.set(bundle, { promise, resolve });
    // An exported page has no server: its extra bundles are inlined, keyed by name.
    const inline = window.nbappInlineBundles?.[bundle];
    const script = document.createElement("script");
    if (inline) script.textContent = inline;
    else {
      script.src = `${BUNDLE_URL}${bundle}.js`;
      script.onerror = () => reject(new Error(`nbapp: ${bundle}.js could not be loaded`));
    }
    document.head.append(script);
  }
  return bundles.get(bundle).promise;
}

/** A module that one of nbapp's extra bundles defines (not in the share scope). */
export async function bundleModule(bundle, name) {
  await loadBundle(bundle);
  return modules.get(name);
}

/** The page's copy of a shared package, loading its bundle first if it has one. */
export async function sharedModule(name) {
  if (modules.has(name)) return modules.get(name);
  const entry = MANIFEST[name];
  if (!entry) throw new Error(`nbapp: the page does not provide ${name}`);
  await loadBundle(entry.bundle);
  return modules.get(name);
}

export function providesModule(name) {
  return name in MANIFEST;
}
