/**
 * The explainer's public names, also under the path they had when the
 * explainer was one file. See `mod.ts`.
 *
 * @module
 */

export * from "./mod.ts";
