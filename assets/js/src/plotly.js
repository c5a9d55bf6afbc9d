// Plotly figures, offline: the kernel sends a figure as JSON (application/vnd.plotly.v1+json,
// plotly's default renderer) and the page draws it with the plotly.min.js that the Python
// plotly package ships, which the server serves; it is fetched the first time a figure shows.
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";
const PLOTLY_URL = "/nbapp/vendor/plotly/plotly.min.js";

let plotly = null;

function loadPlotly() {
  // An exported page (nbapp export) carries plotly.js inline: there is no server to ask.
  if (window.Plotly) plotly ??= Promise.resolve(window.Plotly);
  plotly ??= new Promise((resolve, reject) => {
    window.PlotlyConfig = { MathJaxConfig: "local" };
    const script = document.createElement("script");
    script.src = PLOTLY_URL;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => reject(new Error("plotly.js is not installed with the app"));
    document.head.append(script);
  });
  return plotly;
}

export async function drawFigure(host, figure) {
  host.classList.add("nbapp-plotly-figure");
  try {
    const Plotly = await loadPlotly();
    const config = { responsive: true, ...(figure.config || {}) };
    await Plotly.newPlot(host, figure.data || [], figure.layout || {}, config);
  } catch (err) {
    console.warn("nbapp: a Plotly figure could not be drawn", err);
    host.textContent = "This figure could not be drawn.";
  }
}

// Figures a cell's HTML carries (render.py puts them in script data blocks).
export function drawFigures(root) {
  for (const script of root.querySelectorAll(`script[type="${PLOTLY_MIME}"]`)) {
    let figure;
    try {
      figure = JSON.parse(script.textContent);
    } catch (err) {
      console.warn("nbapp: unreadable Plotly figure", err);
      continue;
    }
    const host = document.createElement("div");
    script.replaceWith(host);
    drawFigure(host, figure);
  }
}
