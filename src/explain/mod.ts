/**
 * Explanation: every field of a packet with its offset, bits, value and
 * meaning, both checksums worked out, anomalies in plain words, and the
 * conversation state (relative sequence numbers, scaled windows).
 *
 * - `types.ts`: the shape of an explanation (plain data);
 * - `anomalies.ts`: the anomaly codes;
 * - `packet.ts`: {@linkcode explainPacket} and {@linkcode explainTcpSegment};
 * - `connection.ts`: {@linkcode ConnectionTracker}, for captures;
 * - `fragments.ts`: {@linkcode explainReassembled}, a datagram put back
 *   together from fragments, under the first- and last-wins policies;
 * - `render.ts`: the explanation as text (diagram, table, checksums);
 * - the `_`-prefixed files: the explainer's parts, one per header
 *   (`_ipv4.ts`, `_ipv6.ts`, `_tcp.ts`, `_tcp_flags.ts`,
 *   `_tcp_options.ts`), the checksums (`_checksum.ts`), the builder and
 *   the meanings of values.
 *
 * @module
 */

export * from "./types.ts";
export * from "./anomalies.ts";
export * from "./packet.ts";
export * from "./connection.ts";
export * from "./fragments.ts";
