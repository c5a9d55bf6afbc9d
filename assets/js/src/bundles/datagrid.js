// Lumino's data grid, for ipydatagrid, which takes it from the page's share scope.
import * as datagrid from "@lumino/datagrid";

window.nbappShared.define("datagrid", { "@lumino/datagrid": datagrid });
