// jquery-ui's widgets (ipywidgets 7's sliders) take jQuery as a free global; esbuild's
// `inject` binds it to the bundled jquery, as webpack's ProvidePlugin did for ipywidgets 7.
import jQuery from "jquery";

export { jQuery };
