// The Leaflet the app serves (assets/static/vendor/leaflet/leaflet.js): Leaflet as published,
// with tile layers that do not reach other hosts (offline.js), as the global `L` that Leaflet
// plugins and folium's map scripts expect.
import L from "leaflet";

import { patchLeaflet } from "./offline.js";

patchLeaflet(L);
window.L = L;
