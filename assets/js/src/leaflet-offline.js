// The Leaflet the app serves (assets/static/vendor/leaflet/leaflet.js): Leaflet as published,
// with tile layers that do not reach other hosts (offline.js), as the global `L` that Leaflet
// plugins and folium's map scripts expect.
import L from "leaflet";
import iconRetinaUrl from "leaflet/dist/images/marker-icon-2x.png";
import iconUrl from "leaflet/dist/images/marker-icon.png";
import shadowUrl from "leaflet/dist/images/marker-shadow.png";

import { patchLeaflet } from "./offline.js";

patchLeaflet(L);
// The default marker's images travel inside the script: Leaflet otherwise finds them through
// its stylesheet's URL, which an exported page (styles inlined as data URLs) does not have.
L.Icon.Default.imagePath = "";
L.Icon.Default.mergeOptions({ iconUrl, iconRetinaUrl, shadowUrl });
window.L = L;
