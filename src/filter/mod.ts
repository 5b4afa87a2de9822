/**
 * Packet filters: a typed filter (addresses and CIDR blocks, ports,
 * flags, protocol, family) compiled to a classic BPF program for the
 * kernel to run on a socket, the same filter evaluated in JavaScript, a
 * BPF interpreter, the `tcpdump -d` listing of a program and the
 * pcap-filter expression of a filter.
 *
 * @module
 */

export * from "./types.ts";
export * from "./compile.ts";
export * from "./vm.ts";
export * from "./match.ts";
export * from "./format.ts";
