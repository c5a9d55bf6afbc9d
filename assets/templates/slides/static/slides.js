// The slides template's navigator. Each cell's section carries data-slide, data-subslide and
// data-fragment (from its slideshow metadata); a step shows one (sub)slide with its fragments
// up to a number. Cells arrive while the notebook runs, so the steps are recounted on each
// (nbapp:cell) and the page stays on the step it shows. Works the same in an exported page.
(function () {
  "use strict";
  const main = document.getElementById("nbapp-cells");
  const nav = document.querySelector(".nbapp-slides-nav");
  if (!main || !nav) return;
  const prev = nav.querySelector(".nbapp-slides-prev");
  const next = nav.querySelector(".nbapp-slides-next");
  const count = nav.querySelector(".nbapp-slides-count");
  const fill = document.querySelector(".nbapp-slides-progress-fill");
  let current = null; // [slide, subslide, fragment] shown now

  const place = (el) => ["slide", "subslide", "fragment"].map((k) => Number(el.dataset[k]));
  const sections = () => Array.from(main.querySelectorAll(":scope > [data-slide]"));
  const compare = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  const same = (a, b) => a && b && compare(a, b) === 0;

  // Every (slide, subslide, fragment) a present cell has, in order.
  function steps() {
    const found = new Map();
    for (const el of sections()) {
      const p = place(el);
      found.set(p.join("/"), p);
    }
    return Array.from(found.values()).sort(compare);
  }

  function show(step) {
    current = step;
    const all = steps();
    const pages = [];
    let firstOfPage = null;
    for (const el of sections()) {
      const [s, sub, frag] = place(el);
      const here = s === step[0] && sub === step[1];
      el.classList.toggle("nbapp-slide-current", here);
      el.classList.toggle("nbapp-fragment-pending", here && frag > step[2]);
      const key = `${s}/${sub}`;
      el.classList.toggle("nbapp-slide-first", key !== firstOfPage);
      if (key !== firstOfPage) pages.push(key);
      firstOfPage = key;
    }
    const page = pages.indexOf(`${step[0]}/${step[1]}`);
    const index = all.findIndex((s) => same(s, step));
    count.textContent = `${page + 1} / ${pages.length}`;
    prev.disabled = index <= 0;
    next.disabled = index >= all.length - 1;
    if (fill) fill.style.width = `${all.length > 1 ? (100 * index) / (all.length - 1) : 100}%`;
    document.body.dataset.nbappSlide = step.join("/");
    // Widgets drawn while hidden (bqplot, Plotly) measure themselves again on resize.
    window.dispatchEvent(new Event("resize"));
  }

  function go(delta) {
    const all = steps();
    const index = all.findIndex((s) => same(s, current));
    const target = all[Math.min(all.length - 1, Math.max(0, index + delta))];
    if (target && !same(target, current)) {
      show(target);
      window.scrollTo(0, 0);
    }
  }

  function refresh() {
    const all = steps();
    if (!all.length) return;
    const kept = current && all.find((s) => same(s, current));
    show(kept || all[0]);
  }

  const forward = new Set(["ArrowRight", "ArrowDown", "PageDown", " ", "n", "N"]);
  const backward = new Set(["ArrowLeft", "ArrowUp", "PageUp", "p", "P"]);
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target instanceof Element ? event.target : null;
    // Keys typed into a widget (a text box, a focused slider, a dropdown) are the widget's.
    if (target?.closest("input, textarea, select, [contenteditable], [role='slider']")) return;
    if (event.key === " " && target?.closest("button, summary, a")) return; // activates it
    let handled = true;
    if (event.key === " " && event.shiftKey) go(-1);
    else if (forward.has(event.key)) go(1);
    else if (backward.has(event.key)) go(-1);
    else if (event.key === "Home") go(-Infinity);
    else if (event.key === "End") go(Infinity);
    else handled = false;
    if (handled) event.preventDefault();
  });
  prev.addEventListener("click", () => go(-1));
  next.addEventListener("click", () => go(1));
  document.addEventListener("nbapp:cell", refresh);
  document.addEventListener("nbapp:status", refresh); // a restart empties the page
  refresh();
})();
