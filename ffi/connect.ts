/**
 * Kernel TCP connections with `Deno.connect`: the {@linkcode TcpConnector}
 * of the connect scan and the banner grabber. Needs only `--allow-net`:
 * no root, no `--allow-ffi`, so it works for unprivileged users and on
 * macOS. The operating system's errors are read into nmap's words
 * (`ECONNREFUSED` refused, `EHOSTUNREACH` host-unreach, `ENETUNREACH`
 * net-unreach, `EACCES` admin-prohibited, `ENOPROTOOPT` proto-unreach,
 * `ENONET` dest-unreach, `ETIMEDOUT` and `EHOSTDOWN` no answer), as
 * nmap's `-sT` reads the same errors.
 *
 * @module
 */

import type {
  ByteStream,
  ConnectOutcome,
  ReadResult,
  TcpConnector,
  UnreachableReason,
} from "../src/host/connect.ts";

const UNREACHABLE: Readonly<Record<string, UnreachableReason>> = Object
  .freeze({
    EHOSTUNREACH: "host-unreach",
    ENETUNREACH: "net-unreach",
    EACCES: "admin-prohibited",
    ENOPROTOOPT: "proto-unreach",
    ENONET: "dest-unreach",
  });

/**
 * How a failed `Deno.connect` ended, from its error.
 *
 * @param error What `Deno.connect` threw.
 * @param rttMs How long it took.
 * @returns The outcome, or undefined for an error that is not about the
 *   destination (no permission, no file descriptors…).
 *
 * @example
 * ```ts
 * import { connectErrorOutcome } from "./connect.ts";
 * import assert from "node:assert/strict";
 *
 * const refused = Object.assign(new Error("Connection refused (os error 111)"), { code: "ECONNREFUSED" });
 * assert.deepEqual(connectErrorOutcome(refused, 2), { kind: "refused", rttMs: 2 });
 * const unreachable = Object.assign(new Error("No route to host (os error 113)"), { code: "EHOSTUNREACH" });
 * assert.deepEqual(connectErrorOutcome(unreachable, 2), { kind: "unreachable", reason: "host-unreach", rttMs: 2 });
 * assert.deepEqual(connectErrorOutcome(new DOMException("late", "TimeoutError"), 1000), { kind: "timeout" });
 * assert.equal(connectErrorOutcome(new Deno.errors.NotCapable("no net"), 0), undefined);
 * ```
 */
export function connectErrorOutcome(
  error: unknown,
  rttMs: number,
): ConnectOutcome | undefined {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return { kind: "timeout" };
  }
  const code = (error as { code?: unknown })?.code;
  if (
    error instanceof Deno.errors.ConnectionRefused || code === "ECONNREFUSED"
  ) {
    return { kind: "refused", rttMs };
  }
  if (
    error instanceof Deno.errors.TimedOut || code === "ETIMEDOUT" ||
    code === "EHOSTDOWN"
  ) {
    return { kind: "timeout" };
  }
  if (error instanceof Deno.errors.NetworkUnreachable) {
    return { kind: "unreachable", reason: "net-unreach", rttMs };
  }
  const reason = typeof code === "string" ? UNREACHABLE[code] : undefined;
  return reason === undefined
    ? undefined
    : { kind: "unreachable", reason, rttMs };
}

/**
 * A kernel TCP connection as a {@linkcode ByteStream}. A read that times
 * out stays pending and is what the next read returns, so no byte is lost.
 *
 * @example
 * ```ts
 * import { ConnStream } from "./connect.ts";
 * import assert from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const accepted = listener.accept();
 * const stream = new ConnStream(await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }));
 * const peer = await accepted;
 * assert.deepEqual(await stream.read(50), { kind: "timeout" });
 * await peer.write(new TextEncoder().encode("220 hello\r\n"));
 * assert.deepEqual(await stream.read(1000), { kind: "data", bytes: new TextEncoder().encode("220 hello\r\n") });
 * peer.close();
 * assert.deepEqual(await stream.read(1000), { kind: "end" });
 * stream.close();
 * ```
 */
export class ConnStream implements ByteStream {
  readonly #conn: Deno.Conn;
  #pending: Promise<ReadResult> | undefined;
  #closed = false;

  /**
   * Wrap a connection.
   *
   * @param conn The connection; the stream owns it.
   */
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /**
   * Send bytes, all of them.
   *
   * @param bytes The bytes.
   */
  async write(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) at += await this.#conn.write(bytes.subarray(at));
  }

  /**
   * Wait up to `timeoutMs` for bytes.
   *
   * @param timeoutMs How long.
   * @returns Data, the end of the stream, or a timeout.
   */
  async read(timeoutMs: number): Promise<ReadResult> {
    if (this.#closed) return { kind: "end" };
    if (this.#pending === undefined) {
      this.#pending = this.#readOnce();
      // A read left pending when the caller stops reading must not fail loudly.
      this.#pending.catch(() => {});
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<ReadResult>((resolve) => {
      timer = setTimeout(() => resolve({ kind: "timeout" }), timeoutMs);
    });
    try {
      const result = await Promise.race([this.#pending, timeout]);
      if (result.kind !== "timeout") this.#pending = undefined;
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  async #readOnce(): Promise<ReadResult> {
    const buffer = new Uint8Array(16384);
    try {
      const n = await this.#conn.read(buffer);
      return n === null
        ? { kind: "end" }
        : { kind: "data", bytes: buffer.slice(0, n) };
    } catch (error) {
      if (
        this.#closed || error instanceof Deno.errors.ConnectionReset ||
        error instanceof Deno.errors.BadResource ||
        error instanceof Deno.errors.Interrupted
      ) return { kind: "end" };
      throw error;
    }
  }

  /** Close the connection (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the peer's reset
    }
  }
}

/** Options for {@linkcode createDenoConnector}. */
export interface DenoConnectorOptions {
  /** The clock, ms (default `performance.now`). */
  now?: () => number;
}

/**
 * The connector of kernel TCP connections, through `Deno.connect`.
 *
 * @param options The clock.
 * @returns The connector.
 *
 * @example Needs --allow-net
 * ```ts
 * import { createDenoConnector } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = listener.addr.port;
 * const connector = createDenoConnector();
 * const accepted = listener.accept();
 * const open = await connector.connect("127.0.0.1", port, 1000);
 * assert.equal(open.kind, "open");
 * if (open.kind === "open") open.stream.close();
 * (await accepted).close();
 * listener.close();
 * assert.equal((await connector.connect("127.0.0.1", port, 1000)).kind, "refused");
 * ```
 */
export function createDenoConnector(
  options: DenoConnectorOptions = {},
): TcpConnector {
  const now = options.now ?? (() => performance.now());
  return {
    async connect(address, port, timeoutMs) {
      const started = now();
      try {
        const conn = await Deno.connect({
          hostname: address,
          port,
          signal: AbortSignal.timeout(timeoutMs),
        });
        return {
          kind: "open",
          stream: new ConnStream(conn),
          rttMs: now() - started,
        };
      } catch (error) {
        const outcome = connectErrorOutcome(error, now() - started);
        if (outcome === undefined) throw error;
        return outcome;
      }
    },
  };
}
