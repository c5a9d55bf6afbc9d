// Outputs load nothing from outside the app. Every cell's HTML, and every HTML an Output
// widget shows, goes through prepareHtml before it reaches the document:
// - CDN URLs of libraries the app serves (Leaflet, jQuery, vega, DataTables...) become local
//   ones, by the rules the server put in the page (desktop/nbapp/page/cdn.py); the rewrite is on
//   the raw text, so script literals and an iframe's srcdoc are covered too;
// - what is external by nature (a video site's iframe, a remote image, a map's tiles) becomes
//   a visible placeholder that says it needs a network connection and links to it (links open
//   in the system browser), instead of an empty box and a Content-Security-Policy error;
// - other external scripts, stylesheets and CSS url()s are dropped, with a console warning.
// The parse happens in an inert <template>, so nothing loads before it is checked.
// No imports: build.mjs also bundles this file into the Leaflet that the app serves.

const RULES_ID = "nbapp-cdn-rules";
let rules = null;
let anyRule = null; // one scan first: most outputs name no CDN at all

function cdnRules() {
  if (rules === null) {
    rules = [];
    const block = document.getElementById(RULES_ID);
    if (block) {
      try {
        const spec = JSON.parse(block.textContent);
        rules = spec.map((r) => [new RegExp(r.pattern, "g"), r.local]);
        if (spec.length) anyRule = new RegExp(spec.map((r) => `(?:${r.pattern})`).join("|"));
      } catch (err) {
        console.warn("nbapp: unreadable CDN rules", err);
      }
    }
  }
  return rules;
}

/** `html` with every CDN URL the app serves replaced by its local URL. */
export function rewriteCdn(html) {
  const all = cdnRules();
  if (!anyRule || !anyRule.test(html)) return html;
  let text = html;
  for (const [pattern, local] of all) text = text.replace(pattern, local);
  return text;
}

/** Whether `url` would leave the app (another host), as opposed to data:, blob:, local. */
export function isExternal(url, base = document.baseURI) {
  if (!url) return false;
  let parsed;
  try {
    parsed = new URL(url.trim(), base);
  } catch {
    return false;
  }
  if (!/^(https?|wss?|ftp):$/.test(parsed.protocol)) return false;
  // The base's origin, not location's: an iframe's srcdoc document is about:srcdoc.
  return parsed.origin !== new URL(base).origin;
}

const BOX_STYLE = [
  "display:inline-flex",
  "vertical-align:top",
  "flex-direction:column",
  "align-items:center",
  "justify-content:center",
  "gap:4px",
  "box-sizing:border-box",
  "max-width:100%",
  "min-height:48px",
  "padding:12px",
  "border:1px dashed #8a8a8a",
  "border-radius:4px",
  "background:rgba(128,128,128,0.08)",
  "color:#5a5a5a",
  "font:13px/1.4 system-ui,sans-serif",
  "text-align:center",
].join(";");

function cssSize(value) {
  if (!value) return "";
  const text = String(value).trim();
  return /^\d+(\.\d+)?$/.test(text) ? `${text}px` : text;
}

/** A box saying what needs a network connection, with a link to it. */
export function placeholder(doc, kind, url, size = {}) {
  const box = doc.createElement("div");
  box.className = "nbapp-offline";
  box.setAttribute("role", "note");
  box.dataset.url = url;
  const width = cssSize(size.width);
  const height = cssSize(size.height);
  // At least the size the content would have had; more when the note needs it.
  box.style.cssText = `${BOX_STYLE}${width ? `;min-width:${width}` : ""}${height ? `;min-height:${height}` : ""}`;
  const text = doc.createElement("span");
  text.textContent = `This ${kind} needs a network connection.`;
  const link = doc.createElement("a");
  link.href = url;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  try {
    link.textContent = `Open ${new URL(url, doc.baseURI).host}`;
  } catch {
    link.textContent = url;
  }
  box.append(text, link);
  return box;
}

const EXTERNAL_CSS_URL = /url\(\s*(["']?)([^"')\s]+)\1\s*\)/g;
const IMPORT = /@import\s+(?:url\(\s*)?(["']?)([^"')\s;]+)\1\s*\)?[^;]*;/g;

function cleanCss(css, base) {
  return css
    .replace(IMPORT, (all, _q, url) => (isExternal(url, base) ? `/* nbapp: offline, not imported: ${url} */` : all))
    .replace(EXTERNAL_CSS_URL, (all, _q, url) => (isExternal(url, base) ? "none" : all));
}

const KINDS = { iframe: "content", img: "image", video: "video", audio: "audio", embed: "content", object: "content" };

function mediaUrl(el) {
  const tag = el.localName;
  const own = tag === "object" ? el.getAttribute("data") : el.getAttribute("src");
  if (isExternal(own, el.baseURI)) return own;
  if (tag === "img" && el.srcset) {
    const first = el.getAttribute("srcset").split(",").map((s) => s.trim().split(/\s+/)[0]);
    const outside = first.find((u) => isExternal(u, el.baseURI));
    if (outside) return outside;
  }
  if (tag === "video" || tag === "audio") {
    for (const source of el.querySelectorAll("source[src]")) {
      if (isExternal(source.getAttribute("src"), el.baseURI)) return source.getAttribute("src");
    }
  }
  return null;
}

function scrubFrame(frame) {
  const source = frame.getAttribute("srcdoc");
  if (!source) return;
  const doc = new DOMParser().parseFromString(rewriteCdn(source), "text/html");
  if (scrub(doc)) frame.setAttribute("srcdoc", `<!DOCTYPE html>${doc.documentElement.outerHTML}`);
}

/** Make `root` (a fragment or a document not yet shown) load nothing from outside the app;
 * whether anything changed. */
export function scrub(root) {
  const doc = root.ownerDocument || root;
  let changed = false;
  for (const el of root.querySelectorAll("iframe, img, video, audio, embed, object")) {
    if (el.localName === "iframe" && el.hasAttribute("srcdoc")) {
      scrubFrame(el);
      continue;
    }
    const url = mediaUrl(el);
    if (!url) continue;
    const size = { width: el.getAttribute("width") || el.style.width, height: el.getAttribute("height") || el.style.height };
    if (el.localName === "iframe" && !size.width && !size.height) Object.assign(size, { width: 300, height: 150 });
    el.replaceWith(placeholder(doc, KINDS[el.localName], url, size));
    changed = true;
  }
  for (const el of root.querySelectorAll("video[poster], image[href], image[*|href], source[srcset]")) {
    for (const attr of ["poster", "href", "xlink:href", "srcset"]) {
      if (el.hasAttribute(attr) && isExternal(el.getAttribute(attr).split(/[\s,]/)[0], el.baseURI)) {
        el.removeAttribute(attr);
        changed = true;
      }
    }
  }
  for (const el of root.querySelectorAll("script[src]")) {
    const url = el.getAttribute("src");
    if (!isExternal(url, el.baseURI)) continue;
    console.warn(`nbapp: not loading ${url}: the app works offline`);
    el.replaceWith(placeholder(doc, "part of the output", url));
    changed = true;
  }
  for (const el of root.querySelectorAll("link[href]")) {
    const url = el.getAttribute("href");
    if (!isExternal(url, el.baseURI) || !/stylesheet|preload|prefetch|preconnect|dns-prefetch|modulepreload|icon/.test(el.rel)) continue;
    if (/stylesheet/.test(el.rel)) console.warn(`nbapp: not loading ${url}: the app works offline`);
    el.remove();
    changed = true;
  }
  for (const el of root.querySelectorAll("style")) {
    const css = cleanCss(el.textContent, el.baseURI);
    if (css !== el.textContent) {
      el.textContent = css;
      changed = true;
    }
  }
  for (const el of root.querySelectorAll('[style*="url("]')) {
    const css = cleanCss(el.getAttribute("style"), el.baseURI);
    if (css !== el.getAttribute("style")) {
      el.setAttribute("style", css);
      changed = true;
    }
  }
  return changed;
}

/** Parse `html` inertly, rewrite and scrub it: a fragment ready to insert (its scripts do not
 * run on insertion; the page re-creates them, as it does for innerHTML). */
export function prepareHtml(html) {
  const template = document.createElement("template");
  template.innerHTML = rewriteCdn(html);
  scrub(template.content);
  return template.content;
}

/** The same, as text (for renderers that set innerHTML themselves). */
export function prepareHtmlText(html) {
  const template = document.createElement("template");
  template.innerHTML = rewriteCdn(html);
  return scrub(template.content) ? template.innerHTML : rewriteCdn(html);
}

// Leaflet: a tile layer whose tiles come from another host draws no tiles and makes no
// request; the map says once that its base map needs a network connection. Applied to the
// Leaflet the app serves (folium, GeoJSON); widget libraries bundling their own Leaflet
// (ipyleaflet) can apply it to theirs.
export function patchLeaflet(L) {
  if (!L || !L.TileLayer || L.TileLayer.prototype._nbappOffline) return;
  const proto = L.TileLayer.prototype;
  const createTile = proto.createTile;
  const onAdd = proto.onAdd;
  proto._nbappOffline = true;
  proto.createTile = function (coords, done) {
    if (!isExternal(this.getTileUrl(coords))) return createTile.call(this, coords, done);
    const tile = document.createElement("div");
    tile.className = "nbapp-offline-tile";
    setTimeout(() => done(null, tile), 0);
    return tile;
  };
  proto.onAdd = function (map) {
    const result = onAdd.call(this, map);
    if (isExternal(this._url.replace(/\{[^}]*\}/g, "a")) && !map._nbappOfflineNotice) {
      const Notice = L.Control.extend({
        onAdd() {
          const box = placeholder(document, "map's base layer", this._url || "", {});
          box.classList.add("nbapp-offline-tiles");
          box.style.minHeight = "0";
          box.style.padding = "4px 8px";
          box.style.background = "rgba(255,255,255,0.85)";
          return box;
        },
      });
      map._nbappOfflineNotice = new Notice({ position: "topright" });
      map._nbappOfflineNotice._url = new URL(this._url.replace(/\{[^}]*\}/g, "a"), document.baseURI).origin;
      map._nbappOfflineNotice.addTo(map);
    }
    return result;
  };
}
