// An exported page (`nbapp export`) has no server, but its widgets' front ends are in it:
// widget_export.py puts the files of the labextensions and AMD bundles its saved widgets use
// in a JSON block, under the URLs the live server would give them, with the index the server
// would answer. Here the page answers its own requests for those URLs: a script's src
// becomes a blob: URL (its src property still reads the logical URL, so webpack's automatic
// public path points at the other files), an image's src and a stylesheet's url() a data:
// URL, and fetch() gets the file. Everything else is left alone. The Content-Security-Policy
// of the page allows exactly these: inline and blob: scripts, data: and blob: images.

const BLOCK_ID = "nbapp-front-ends";

function parse() {
  const block = document.getElementById(BLOCK_ID);
  if (!block) return null;
  try {
    return JSON.parse(block.textContent);
  } catch (err) {
    console.warn("nbapp: unreadable front ends in this page", err);
    return null;
  }
}

const carried = parse();
const blobs = new Map(); // path -> blob: URL of a script

/** The index of front ends this exported page carries, or null in a live page. */
export const exportedIndex = carried ? carried.index : null;

function entry(url) {
  if (!carried || typeof url !== "string") return null;
  let path;
  try {
    path = new URL(url, document.baseURI).pathname;
  } catch {
    return null;
  }
  const found = carried.files[path];
  return found ? { path, kind: found[0], value: found[1] } : null;
}

function asDataUrl(found) {
  if (found.kind === "data") return found.value;
  const type = found.path.endsWith(".svg") ? "image/svg+xml" : "text/plain";
  return `data:${type};charset=utf-8,${encodeURIComponent(found.value)}`;
}

function scriptUrl(found) {
  if (!blobs.has(found.path)) {
    const source = `${found.value}\n//# sourceURL=${found.path}`;
    blobs.set(found.path, URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
  }
  return blobs.get(found.path);
}

const CSS_URL = /url\(\s*(["']?)([^"')]+)\1\s*\)/g;

function rewriteCss(css) {
  return css.replace(CSS_URL, (all, _q, url) => {
    const found = entry(url);
    return found ? `url("${asDataUrl(found)}")` : all;
  });
}

function hookSrc(prototype, answer) {
  const native = Object.getOwnPropertyDescriptor(prototype, "src");
  Object.defineProperty(prototype, "src", {
    configurable: true,
    enumerable: native.enumerable,
    get() {
      return this.dataset?.nbappSrc || native.get.call(this);
    },
    set(url) {
      const found = entry(url);
      if (!found) return native.set.call(this, url);
      this.dataset.nbappSrc = new URL(url, document.baseURI).href;
      return native.set.call(this, answer(found));
    },
  });
}

function watchStyles() {
  const fix = (node) => {
    if (node?.nodeName === "STYLE") {
      const css = rewriteCss(node.textContent);
      if (css !== node.textContent) node.textContent = css;
    }
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === "characterData") fix(record.target.parentNode);
      for (const node of record.addedNodes) fix(node.nodeName === "#text" ? node.parentNode : node);
    }
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
  for (const style of document.querySelectorAll("style")) fix(style);
}

function hookFetch() {
  const native = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const found = entry(typeof input === "string" ? input : input?.url);
    if (!found) return native(input, init);
    const body = found.kind === "text" ? found.value : fetch(found.value).then((r) => r.blob());
    return Promise.resolve(body).then((b) => new Response(b, { status: 200 }));
  };
}

if (carried) {
  window.nbappInlineBundles = carried.bundles || {};
  hookSrc(HTMLScriptElement.prototype, scriptUrl);
  hookSrc(HTMLImageElement.prototype, asDataUrl);
  watchStyles();
  hookFetch();
}
