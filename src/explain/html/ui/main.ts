/**
 * The script of an explanation page: tcpcraft's library (what `mod.ts`
 * exports: these are its parts, the same `export *` lines) and the page.
 * The library is also `globalThis.tcpcraft`, to try in the browser's
 * console.
 *
 * `deno task bundle:page` bundles this file for the browser into
 * `../_bundle.ts`; `tests/explain_html_test.ts` fails when `mod.ts` exports
 * a part this file leaves out.
 *
 * @module
 */

import * as capture from "../../../capture/mod.ts";
import * as engine from "../../../engine/mod.ts";
import * as explain from "../../mod.ts";
import * as filter from "../../../filter/mod.ts";
import * as wire from "../../../wire/mod.ts";
import { startPage } from "./app.ts";

Object.assign(globalThis, {
  tcpcraft: Object.freeze({
    ...wire,
    ...capture,
    ...engine,
    ...explain,
    ...filter,
  }),
});
startPage();
