/**
 * A hand-made TCP session ({@linkcode TcpSession}) as the
 * {@linkcode ByteStream} the banner grabber reads: what a SYN scan's
 * banners go through, since the scan itself keeps no connection.
 *
 * @module
 */

import type { ByteStream, ReadResult } from "../../host/connect.ts";
import type { TcpSession } from "../session.ts";

/**
 * Read and write a session as a byte stream. A read that times out stays
 * pending and is what the next read returns, so no byte is lost; a reset
 * or a failure reads as the end. `close()` aborts the session (a RST).
 *
 * @param session The established session.
 * @returns The stream.
 *
 * @example On a stand-in session that sends one chunk, then ends
 * ```ts
 * import { sessionByteStream } from "./session_stream.ts";
 * import type { TcpSession } from "../session.ts";
 * import assert from "node:assert/strict";
 *
 * let aborted = false;
 * const session = {
 *   send: () => Promise.resolve(),
 *   abort: () => { aborted = true; return Promise.resolve(); },
 *   async *[Symbol.asyncIterator]() { yield new TextEncoder().encode("220 hi\r\n"); },
 * } as unknown as TcpSession;
 * const stream = sessionByteStream(session);
 * assert.deepEqual(await stream.read(100), { kind: "data", bytes: new TextEncoder().encode("220 hi\r\n") });
 * assert.deepEqual(await stream.read(100), { kind: "end" });
 * stream.close();
 * assert.equal(aborted, true);
 * ```
 */
export function sessionByteStream(session: TcpSession): ByteStream {
  const chunks = session[Symbol.asyncIterator]();
  let pending: Promise<ReadResult> | undefined;
  let closed = false;
  const next = async (): Promise<ReadResult> => {
    try {
      const item = await chunks.next();
      return item.done === true
        ? { kind: "end" }
        : { kind: "data", bytes: item.value };
    } catch {
      return { kind: "end" };
    }
  };
  return {
    write: (bytes) => session.send(bytes),
    async read(timeoutMs) {
      if (closed) return { kind: "end" };
      pending ??= next();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<ReadResult>((resolve) => {
        timer = setTimeout(() => resolve({ kind: "timeout" }), timeoutMs);
      });
      try {
        const result = await Promise.race([pending, timeout]);
        if (result.kind !== "timeout") pending = undefined;
        return result;
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      session.abort().catch(() => {});
    },
  };
}
