/**
 * Explanation: every field of a packet with its offset, bits, value and
 * meaning, both checksums worked out, anomalies in plain words, and the
 * conversation state (relative sequence numbers, scaled windows).
 *
 * @module
 */

export * from "./explain.ts";
