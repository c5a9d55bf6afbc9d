// The page's one registry of output renderers, and of loaders for the libraries they draw with.
//
// It is JupyterLab's rendermime: a RenderMimeRegistry of renderer factories, each with the MIME
// types it draws and a rank (lower wins); a bundle shows as its best-ranked type. Cells reach
// the page as HTML that nbconvert rendered on the server; an output whose bundle holds a type
// nbconvert does not draw (a widget view, Plotly, Vega, GeoJSON, JSON...) also carries that
// part of its bundle as a data block,
//   <div class="nbapp-mime-bundle" data-nbapp-fallback="text/plain">
//     <script type="application/vnd.nbapp.mime-bundle+json">{"data": ..., "metadata": ...}</script>
//     ...nbconvert's rendering of the best standard type (the fallback)...
//   </div>
// (desktop/nbapp/page/render.py). renderBundles picks among the bundle's types and the fallback's
// by rank, as JupyterLab would, and keeps the fallback when nothing here ranks better. Output
// widgets render their outputs through this same registry.
//
// To add a renderer:
//   1. Write a JupyterLab renderer factory: {safe, mimeTypes, defaultRank,
//      createRenderer(options)} where the renderer is a Lumino Widget with an async
//      renderModel(model) (model.data[mimeType], model.metadata[mimeType]). A federated
//      extension's `mimeExtension` module (IRenderMime.IExtension or a list of them) goes in
//      unchanged through addMimeExtension; setMimeExtensionLoader lets the labextension
//      loader fetch one only when an output has a type nothing here draws.
//   2. Register it at start-up: addRenderer(factory) (see renderers.js for the built-in ones).
//   3. If it draws with a library, fetch that library in renderModel through a loader
//      (defineLoader + load, or loadScripts for URLs an output names), never at start-up: a
//      page without such an output must not pay for it. Files under assets/static/vendor/ come from npm (assets/js/package.json,
//      build.mjs); list them in desktop/nbapp/page/library_assets.py's EXPORT_LOADERS too, so that
//      `nbapp export` inlines them when a page has that MIME type.
import { MimeModel, RenderMimeRegistry, standardRendererFactories } from "@jupyterlab/rendermime";
import { Widget } from "@lumino/widgets";

export const BUNDLE_MIME = "application/vnd.nbapp.mime-bundle+json";

export const rendermime = new RenderMimeRegistry({ initialFactories: standardRendererFactories });

/** Register a JupyterLab renderer factory; `rank` defaults to its defaultRank, else 100. */
export function addRenderer(factory, rank) {
  rendermime.addFactory(factory, rank ?? factory.defaultRank ?? 100);
}

/** A federated extension's mimeExtension export: one IRenderMime.IExtension or a list. */
export function addMimeExtension(extension) {
  const list = Array.isArray(extension) ? extension : [extension.default ?? extension];
  for (const ext of list.flatMap((e) => (Array.isArray(e) ? e : [e]))) {
    if (ext && ext.rendererFactory) addRenderer(ext.rendererFactory, ext.rank);
  }
}

// Loaders: a library's browser code, fetched from the app's server the first time a renderer
// asks for it. An exported page has the same files inlined; their global is then already set.
const loaders = new Map(); // name -> { scripts, styles, global, before }
const loading = new Map(); // name -> promise of the global

/** `scripts` run in order; `styles` are stylesheets; `global` is what the last script sets. */
export function defineLoader(name, spec) {
  loaders.set(name, spec);
}

const scripts = new Map(); // absolute URL -> promise of its load

/** Classic scripts by URL, each loaded at most once per page: fetched in parallel, run in
 * the order given (a script already asked for is not asked for again). */
export function loadScripts(urls) {
  return Promise.all(
    urls.map((src) => {
      const url = new URL(src, document.baseURI).href;
      if (!scripts.has(url)) {
        const loaded = new Promise((resolve, reject) => {
          const script = document.createElement("script");
          script.src = url;
          script.async = false;
          script.onload = resolve;
          script.onerror = () => reject(new Error(`${src} is not installed with the app`));
          document.head.append(script);
        });
        scripts.set(url, loaded);
      }
      return scripts.get(url);
    }),
  );
}

function addStyle(href) {
  if (document.querySelector(`link[rel="stylesheet"][href="${href}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  document.head.append(link);
}

/** The loader's global once its scripts ran (at most once per page). */
export function load(name) {
  const spec = loaders.get(name);
  if (!spec) return Promise.reject(new Error(`no loader named ${name}`));
  if (!loading.has(name)) {
    if (window[spec.global]) {
      loading.set(name, Promise.resolve(window[spec.global]));
    } else {
      for (const href of spec.styles || []) addStyle(href);
      if (spec.before) spec.before();
      loading.set(name, loadScripts(spec.scripts || []).then(() => window[spec.global]));
    }
  }
  return loading.get(name);
}

/** A renderer drawing with an async `draw(node, data, metadata, mimeType)`; failures show. */
export class DrawnRenderer extends Widget {
  constructor(options, draw, className) {
    super();
    this.mimeType = options.mimeType;
    this._draw = draw;
    if (className) this.addClass(className);
  }

  async renderModel(model) {
    try {
      await this._draw(this.node, model.data[this.mimeType], model.metadata[this.mimeType] || {}, this.mimeType);
    } catch (err) {
      console.warn(`nbapp: a ${this.mimeType} output could not be drawn`, err);
      this.node.classList.add("nbapp-render-failed");
      this.node.textContent = "This output could not be drawn.";
    }
  }
}

function noRenderer(types) {
  const note = document.createElement("pre");
  note.className = "nbapp-no-renderer";
  note.textContent = `No renderer could be found for output. It has the following MIME types: ${types.join(", ")}`;
  return note;
}

// Federated extensions' mimeExtensions are loaded only when an output has a type that no
// renderer here draws: the loader of labextensions registers what it finds through
// setMimeExtensionLoader (async (mimeTypes) => whether it added a renderer for one of them).
let mimeExtensionLoader = null;

export function setMimeExtensionLoader(loader) {
  mimeExtensionLoader = loader;
}

function show(holder, bundle) {
  const fallbackType = holder.dataset.nbappFallback || "";
  const data = bundle.data || {};
  const offered = { ...data };
  if (fallbackType) offered[fallbackType] = true;
  const chosen = rendermime.preferredMimeType(offered, "any");
  if (chosen === undefined || !(chosen in data)) {
    // Nothing here ranks better than the server's rendering (or there is none)
    const unknown = Object.keys(data).filter((mime) => !rendermime.mimeTypes.includes(mime));
    if (unknown.length && mimeExtensionLoader && !holder.dataset.nbappAsked) {
      holder.dataset.nbappAsked = "true";
      const settle = (added) => {
        if (added) show(holder, bundle);
        else if (chosen === undefined && !fallbackType) holder.append(noRenderer(Object.keys(data)));
      };
      Promise.resolve(mimeExtensionLoader(unknown)).then(settle, (err) => {
        console.warn("nbapp: no renderer extension for", unknown, err);
        settle(false);
      });
      return;
    }
    if (chosen === undefined && !fallbackType) holder.append(noRenderer(Object.keys(data)));
    return;
  }
  const host = document.createElement("div");
  host.className = `jp-OutputArea-output ${holder.dataset.nbappClass || ""}`.trim();
  host.dataset.mimeType = chosen;
  holder.replaceChildren(host);
  const renderer = rendermime.createRenderer(chosen);
  Widget.attach(renderer, host);
  const model = new MimeModel({ data, metadata: bundle.metadata || {}, trusted: true });
  Promise.resolve(renderer.renderModel(model)).catch((err) => {
    console.warn(`nbapp: a ${chosen} output could not be drawn`, err);
  });
}

function renderBundle(holder, script) {
  let bundle;
  try {
    bundle = JSON.parse(script.textContent);
  } catch (err) {
    console.warn("nbapp: unreadable output bundle", err);
    script.remove();
    return;
  }
  script.remove();
  show(holder, bundle);
}

/** Draw every output bundle under `root` (a cell just shown, or a whole exported page). */
export function renderBundles(root) {
  for (const script of root.querySelectorAll(`script[type="${BUNDLE_MIME}"]`)) {
    renderBundle(script.parentElement, script);
  }
}
