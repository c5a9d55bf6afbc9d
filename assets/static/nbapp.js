// The dashboard page: cells and status arrive as server-sent events, in notebook order.
// A reload reconnects to the live session; nothing here can run code in the kernel.
(function () {
  "use strict";
  const body = document.body;
  const cells = document.getElementById("nbapp-cells");
  const sidebar = document.getElementById("nbapp-sidebar");

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

  function showCell(index, html, region, width, folded) {
    const container = region === "sidebar" ? sidebar : cells;
    let section = document.querySelector(`section[data-cell-index="${index}"]`);
    if (!section) {
      section = document.createElement("section");
      section.dataset.cellIndex = String(index);
      const after = Array.from(container.children).find((s) => Number(s.dataset.cellIndex) > index);
      container.insertBefore(section, after || null);
    }
    section.className = `nbapp-cell nbapp-w-${width || "full"}`;
    if (container === sidebar) {
      sidebar.hidden = false;
      body.classList.add("nbapp-has-sidebar");
    }
    // The widget bundle's insertHtml keeps the HTML from loading anything off the app (CDN
    // URLs made local, placeholders for what needs a network), has the renderer registry
    // draw what nbconvert could not, and runs the output's scripts.
    let target = section;
    if (folded) {
      target = document.createElement("details");
      target.className = "nbapp-folded";
      target.innerHTML = "<summary>Show output</summary>";
    }
    section.replaceChildren(...(folded ? [target] : []));
    window.nbapp.insertHtml(target, html);
    typeset(section);
    document.dispatchEvent(new CustomEvent("nbapp:cell", { detail: { index, element: section } }));
  }

  function showStatus(s) {
    body.dataset.nbappState = s.state;
    const running = s.state === "running";
    text.textContent = s.message || (s.state === "done" ? "" : s.state);
    fill.style.width = s.total ? `${Math.round((100 * (running ? s.cell - 1 : s.cell)) / s.total)}%` : "0";
    body.classList.toggle("nbapp-busy", running);
    body.classList.toggle("nbapp-quiet", s.state === "done");
    restart.hidden = !(s.state === "error" || s.state === "dead");
    document.dispatchEvent(new CustomEvent("nbapp:status", { detail: s }));
  }

  let seenReset = false;
  const events = new EventSource("/nbapp/api/events");
  events.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "reset") {
      // A restarted kernel has new widgets: start the page afresh. The first reset of a
      // connection only clears what an earlier connection showed.
      if (seenReset && document.querySelector(".jupyter-widgets")) location.reload();
      seenReset = true;
      cells.replaceChildren();
      sidebar.replaceChildren();
      sidebar.hidden = true;
    } else if (event.type === "cell") {
      showCell(event.index, event.html, event.region, event.width, event.folded);
    } else if (event.type === "status") {
      showStatus(event);
    }
  };
  events.onerror = () => {
    if (events.readyState === EventSource.CLOSED) {
      text.textContent = "The app has closed.";
    }
  };

  restart.addEventListener("click", () => {
    restart.disabled = true;
    fetch("/nbapp/api/restart", { method: "POST", credentials: "same-origin" })
      .finally(() => { restart.disabled = false; });
  });
})();
