/**
 * The engines' portable halves: reply matching, target spaces and their
 * permutation, and scan states.
 *
 * @module
 */

export * from "./reply_match.ts";
export * from "./targets.ts";
export * from "./permutation.ts";
export * from "./scan_state.ts";
