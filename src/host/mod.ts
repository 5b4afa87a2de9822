/**
 * Hosts: what a program needs from the operating system ({@linkcode Host}),
 * the network half the engines take ({@linkcode Net}), and a host that keeps
 * everything in memory ({@linkcode createMemoryHost}). Portable: the Deno
 * implementation is `ffi/deno_host.ts`, the network one `ffi/net.ts`.
 *
 * @module
 */

export * from "./host.ts";
export * from "./net.ts";
export * from "./memory.ts";
export * from "./connect.ts";
