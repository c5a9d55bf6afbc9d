// The dashboard page: cells and status arrive as server-sent events, in notebook order.
// A reload reconnects to the live session; nothing here can run code in the kernel.
(function () {
  "use strict";
  const body = document.body;
  const cells = document.getElementById("nbapp-cells");
  const sidebar = document.getElementById("nbapp-sidebar");
  const pageTitle = document.title;

  // "auto" follows the operating system; widgets read data-jp-theme-light like JupyterLab's.
  if (body.dataset.nbappTheme === "auto") {
    const dark = window.matchMedia("(prefers-color-scheme: dark)");
    const apply = () => { body.dataset.jpThemeLight = String(!dark.matches); };
    apply();
    dark.addEventListener("change", apply);
  }
  const text = document.querySelector(".nbapp-status-text");
  const fill = document.querySelector(".nbapp-progress-fill");
  const restart = document.querySelector(".nbapp-restart");

  // MathJax (1.2 MB) loads the first time an output or a widget label has math in it, so a
  // page without math does not wait for it to be parsed.
  const MATH = /\$|\\\(|\\\[|\\begin\{/;
  const MATHJAX_SRC = "/nbapp/static/vendor/mathjax/tex-mml-chtml.js";
  let mathJax = null;

  // ipywidgets typesets labels with MathJax 2's `MathJax.Hub.Queue`; answer it with MathJax 3.
  function hub() {
    return { Queue(job) { if (Array.isArray(job) && job[0] === "Typeset") typeset(job[2]); } };
  }
  if (window.MathJax) window.MathJax.Hub = hub();

  function loadMathJax() {
    mathJax ??= new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = MATHJAX_SRC;
      script.onload = () => {
        window.MathJax.Hub = hub(); // the loaded MathJax replaced the configuration object
        window.MathJax.startup.promise.then(() => resolve(window.MathJax), reject);
      };
      script.onerror = reject;
      document.head.appendChild(script);
    });
    return mathJax;
  }

  function typeset(node) {
    if (!node || !MATH.test(node.textContent)) return;
    loadMathJax()
      .then((mj) => mj.typesetPromise([node]))
      .catch((e) => console.warn("nbapp: math not typeset", e));
  }

  // A cell arrives as its template rendered it: one element carrying data-cell-index (the
  // default template's <section>), or nothing when the template leaves the cell out. The
  // element goes into the page empty, its content after it (see showCell).
  function cellBox(index, html) {
    const holder = document.createElement("template"); // inert: nothing loads or runs here
    holder.innerHTML = html;
    const nodes = holder.content.children;
    if (nodes.length === 1 && nodes[0].dataset.cellIndex === String(index)) {
      return { box: nodes[0].cloneNode(false), inner: nodes[0].innerHTML };
    }
    if (!html.trim()) return null;
    const box = document.createElement("section"); // a template that dropped the box
    box.className = "nbapp-cell";
    box.dataset.cellIndex = String(index);
    return { box, inner: html };
  }

  // A cell's element: live, or (data-nbapp-snapshot) what an earlier run showed, painted at
  // once while this run catches up. An element whose new HTML is what it already shows (same
  // hash) is left as it is: no reflow, no scripts run twice, images stay decoded. A cell can
  // show in more than one region (a servable template: its sidebar and main objects); the
  // "hidden" region is a cell that does not show but loaded libraries later outputs need.
  function showCell(event) {
    const { index, html, hash, snapshot } = event;
    const region = event.region || "main";
    const container = region === "sidebar" ? sidebar : cells;
    const old = document.querySelector(`[data-cell-index="${index}"][data-region="${region}"]`);
    if (old && hash && old.dataset.nbappHash === hash && old.parentElement === container) {
      delete old.dataset.nbappStale;
      old.toggleAttribute("data-nbapp-snapshot", Boolean(snapshot));
      return;
    }
    const cell = cellBox(index, html);
    if (!cell) {
      old?.remove();
      return;
    }
    const element = cell.box;
    element.dataset.region = region;
    element.hidden = region === "hidden";
    element.dataset.nbappHash = hash || "";
    element.toggleAttribute("data-nbapp-snapshot", Boolean(snapshot));
    if (old?.hasAttribute("data-nbapp-snapshot")) {
      // Hold the snapshot's height until the run ends, so a live output that is still
      // drawing (a widget, a figure) does not pull the cells below up and down.
      element.style.minHeight = `${old.getBoundingClientRect().height}px`;
    }
    if (old && old.parentElement === container) {
      old.replaceWith(element);
    } else {
      old?.remove();
      const after = Array.from(container.children).find((s) => Number(s.dataset.cellIndex) > index);
      container.insertBefore(element, after || null);
    }
    if (container === sidebar) {
      sidebar.hidden = false;
      body.classList.add("nbapp-has-sidebar");
    }
    // The widget bundle's insertHtml keeps the HTML from loading anything off the app (CDN
    // URLs made local, placeholders for what needs a network), has the renderer registry
    // draw what nbconvert could not, and runs the output's scripts; in the page, so that
    // what measures itself (Plotly, bqplot) sees its real size.
    window.nbapp.insertHtml(element, cell.inner);
    typeset(element);
    document.dispatchEvent(new CustomEvent("nbapp:cell", { detail: { index, element } }));
  }

  function hideEmptySidebar() {
    if (!sidebar.children.length) {
      sidebar.hidden = true;
      body.classList.remove("nbapp-has-sidebar");
    }
  }

  // Marked as starting while any cell shows an earlier run: dimmed, controls not live, and the
  // bar says why (see nbapp.css).
  const note = document.createElement("span");
  note.className = "nbapp-snapshot-note";
  note.textContent = "showing the last run until this one has caught up";
  text?.after(note);
  function markStarting() {
    body.classList.toggle("nbapp-starting", Boolean(document.querySelector("[data-nbapp-snapshot]")));
  }

  // The run has ended: whatever still shows an earlier run's output was not confirmed by this
  // one (a later cell after a failure, a cell that now shows nothing): it goes.
  function endSnapshot() {
    document.querySelectorAll("[data-nbapp-snapshot]").forEach((s) => s.remove());
    document.querySelectorAll("[data-cell-index]").forEach((s) => { s.style.minHeight = ""; });
    hideEmptySidebar();
  }

  // The page came with its cells as the server had them (the last run's snapshot, or the live
  // cells on a reload): shown now, before the event stream has even opened.
  const initial = document.getElementById("nbapp-initial-cells");
  if (initial) {
    try {
      JSON.parse(initial.textContent).forEach(showCell);
    } catch (err) {
      console.warn("nbapp: the page's first cells could not be shown", err);
    }
    markStarting();
  }

  function showStatus(s) {
    body.dataset.nbappState = s.state;
    const running = s.state === "running";
    text.textContent = s.message || (s.state === "done" ? "" : s.state);
    fill.style.width = s.total ? `${Math.round((100 * (running ? s.cell - 1 : s.cell)) / s.total)}%` : "0";
    body.classList.toggle("nbapp-busy", running);
    body.classList.toggle("nbapp-quiet", s.state === "done");
    if (!running) endSnapshot();
    markStarting();
    restart.hidden = !(s.state === "error" || s.state === "dead");
    document.dispatchEvent(new CustomEvent("nbapp:status", { detail: s }));
  }

  // The app's title and sidebar width, from a Panel template made servable (the dashboard's
  // app event).
  function showApp(app) {
    let title = document.getElementById("nbapp-app-title");
    if (!title && app.title) {
      title = document.createElement("h1");
      title.id = "nbapp-app-title";
      title.className = "nbapp-app-title";
      (document.querySelector(".nbapp-layout") || cells).before(title);
    }
    if (title) {
      title.textContent = app.title || "";
      title.hidden = !app.title;
    }
    document.title = app.title || pageTitle;
    if (app.sidebar_width) body.style.setProperty("--nbapp-sidebar-width", `${app.sidebar_width}px`);
    else body.style.removeProperty("--nbapp-sidebar-width");
  }

  let seenReset = false;
  let replaying = false;
  // Relative: a notebook of a folder app has its routes under its own path (/nb/NAME/).
  const events = new EventSource("nbapp/api/events");
  events.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "reset") {
      // A restarted kernel has new widgets and Panel documents: start the page afresh. The
      // first reset of a connection replays the page as the server has it: cells it does
      // not send again go once the replay ends (at its status event), the others stay.
      if (seenReset && document.querySelector(".jupyter-widgets, [data-root-id]")) location.reload();
      seenReset = true;
      replaying = true;
      showApp({}); // the replay's app event, if any, comes next
      document.querySelectorAll("[data-cell-index]").forEach((s) => { s.dataset.nbappStale = ""; });
    } else if (event.type === "cell") {
      showCell(event);
    } else if (event.type === "status") {
      if (replaying) {
        replaying = false;
        document.querySelectorAll("[data-nbapp-stale]").forEach((s) => s.remove());
        hideEmptySidebar();
      }
      showStatus(event);
    } else if (event.type === "app") {
      showApp(event);
    } else if (event.type === "front_ends") {
      // BokehJS and Panel, which the notebook's first Bokeh or Panel output will ask for:
      // loaded now, while the kernel imports its libraries, each once (registry.js).
      window.nbapp.registry.loadScripts(event.scripts).catch((err) => console.warn("nbapp:", err));
    } else if (event.type === "notice") {
      // Something refused that changes no state (a too-large upload): say it in the bar.
      body.classList.remove("nbapp-quiet");
      body.dataset.nbappNotice = event.message;
      text.textContent = event.message;
    }
  };
  events.onerror = () => {
    if (events.readyState === EventSource.CLOSED) {
      text.textContent = "The app has closed.";
    }
  };

  // A page the browser kept in its back-forward cache has lost its event stream and its
  // kernel connection (a folder app may have stopped that kernel since): load it afresh.
  window.addEventListener("pageshow", (event) => { if (event.persisted) location.reload(); });

  restart.addEventListener("click", () => {
    restart.disabled = true;
    fetch("nbapp/api/restart", { method: "POST", credentials: "same-origin" })
      .finally(() => { restart.disabled = false; });
  });
})();
