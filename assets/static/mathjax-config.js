// MathJax 3, served by the app: typeset on demand as cells arrive, never fetched from a CDN.
window.MathJax = {
  tex: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: { ignoreHtmlClass: "tex2jax_ignore", processHtmlClass: "tex2jax_process" },
  startup: { typeset: false },
};
