// The renderers built into the page, for MIME types JupyterLab draws in the front end (its
// json-extension, vega5-extension, the geojson extension, plotly's mimeExtension), with
// JupyterLab's ranks. Each loads the library it draws with only when an output needs it.
import { MimeModel, RenderedHTML } from "@jupyterlab/rendermime";

import { prepareHtmlText } from "./offline.js";
import { addRenderer, defineLoader, DrawnRenderer, load } from "./registry.js";

const VENDOR = "/nbapp/static/vendor";

// Plotly: the kernel sends a figure as JSON (plotly's default renderer in a kernel); it is
// drawn with the plotly.min.js that the Python plotly package ships, which the server serves.
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";
defineLoader("plotly", {
  scripts: ["/nbapp/vendor/plotly/plotly.min.js"],
  global: "Plotly",
  before() {
    window.PlotlyConfig = { MathJaxConfig: "local" };
  },
});

export async function drawFigure(node, figure) {
  node.classList.add("nbapp-plotly-figure");
  const Plotly = await load("plotly");
  const config = { responsive: true, ...(figure.config || {}) };
  await Plotly.newPlot(node, figure.data || [], figure.layout || {}, config);
}

// Vega and Vega-Lite (altair): vega-embed with vega and vega-lite, vendored from npm.
export const VEGA_MIME_TYPES = [
  "application/vnd.vega.v5+json",
  "application/vnd.vega.v6+json",
  "application/vnd.vegalite.v3+json",
  "application/vnd.vegalite.v4+json",
  "application/vnd.vegalite.v5+json",
  "application/vnd.vegalite.v6+json",
];
defineLoader("vega", {
  scripts: [`${VENDOR}/vega/vega.min.js`, `${VENDOR}/vega/vega-lite.min.js`, `${VENDOR}/vega/vega-embed.min.js`],
  global: "vegaEmbed",
});

async function drawVega(node, spec, metadata, mimeType) {
  const embed = await load("vega");
  const vegaMode = mimeType.startsWith("application/vnd.vega.");
  node.classList.add(vegaMode ? "jp-RenderedVega5" : "jp-RenderedVegaLite");
  const options = {
    // Saving as SVG/PNG works offline; the editor and the source views open other sites.
    actions: { export: true, source: false, compiled: false, editor: false },
    defaultStyle: true,
    ...(metadata.embed_options || {}),
    mode: vegaMode ? "vega" : "vega-lite",
    loader: window.vega.loader({ http: { credentials: "same-origin" } }),
  };
  if (document.body.dataset.jpThemeLight === "false") options.theme ??= "dark";
  const el = document.createElement("div");
  node.replaceChildren(el);
  node._nbappVega = await embed(el, spec, options); // tests and automation read its view
}

// GeoJSON: geometry drawn by Leaflet (vendored from npm). The base map's tiles come from a
// tile server by nature; Leaflet as nbapp serves it shows a notice instead of requesting them.
export const GEOJSON_MIME = "application/geo+json";
const OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
defineLoader("leaflet", {
  scripts: [`${VENDOR}/leaflet/leaflet.js`],
  styles: [`${VENDOR}/leaflet/leaflet.css`],
  global: "L",
});

async function drawGeoJSON(node, data, metadata) {
  const L = await load("leaflet");
  node.classList.add("jp-RenderedGeoJSON");
  node.style.height = "360px";
  const map = L.map(node, { scrollWheelZoom: false });
  L.tileLayer(metadata.url_template || OSM_TILES, metadata.layer_options || {}).addTo(map);
  const layer = L.geoJSON(data, {
    pointToLayer: (_feature, latlng) => L.circleMarker(latlng, { radius: 6 }),
  }).addTo(map);
  const bounds = layer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 12, padding: [20, 20] });
  else map.setView([0, 0], 1);
}

// JSON (IPython.display.JSON): a collapsible tree, as JupyterLab's json-extension shows it.
export const JSON_MIME = "application/json";

function jsonTree(value, key, depth) {
  const label = key === undefined ? "" : `${JSON.stringify(key)}: `;
  if (value === null || typeof value !== "object") {
    const leaf = document.createElement("div");
    leaf.className = "nbapp-json-leaf";
    leaf.textContent = `${label}${JSON.stringify(value)}`;
    return leaf;
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const details = document.createElement("details");
  details.open = depth < 2;
  const summary = document.createElement("summary");
  summary.textContent = `${label}${Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`}`;
  details.append(summary, ...entries.map(([k, v]) => jsonTree(v, k, depth + 1)));
  return details;
}

function drawJSON(node, data, metadata) {
  node.classList.add("jp-RenderedJSON");
  node.replaceChildren(jsonTree(data, undefined, metadata.expanded ? -Infinity : 0));
}

// HTML in Output widgets: JupyterLab's renderer, after the same offline rewrite as cells.
class OfflineHTML extends RenderedHTML {
  render(model) {
    const source = prepareHtmlText(String(model.data[this.mimeType] ?? ""));
    const data = { ...model.data, [this.mimeType]: source };
    return super.render(new MimeModel({ data, metadata: model.metadata, trusted: model.trusted }));
  }
}

function factory(mimeTypes, rank, draw) {
  return {
    safe: true,
    mimeTypes,
    defaultRank: rank,
    createRenderer: (options) => new DrawnRenderer(options, draw),
  };
}

/** Register the built-in renderers (ranks as JupyterLab's extensions declare them). */
export function registerBuiltInRenderers() {
  addRenderer({ safe: true, mimeTypes: ["text/html"], defaultRank: 50, createRenderer: (o) => new OfflineHTML(o) });
  addRenderer(factory([PLOTLY_MIME], 0, (node, figure) => drawFigure(node, figure)));
  addRenderer(factory(VEGA_MIME_TYPES, 57, drawVega));
  addRenderer(factory([GEOJSON_MIME], 0, drawGeoJSON));
  addRenderer(factory([JSON_MIME], 0, drawJSON));
}
