/**
 * `scan`'s result lines written as bytes: the `table`, `csv` and `ndjson`
 * lines of `scan_output.ts`'s view, byte for byte, built in one buffer
 * from the engine's reused result (`onResultView`), so a scan of millions
 * of ports makes no string or object per port (only its round-trip time's
 * digits). The buffer goes to standard output when it fills and at each
 * flush, as bytes where the host takes bytes.
 *
 * @module
 */

import type { ScanResultView } from "../engine/scan/result.ts";
import type { CliHost } from "./host.ts";
import type { ScanFormat } from "./scan_output.ts";

const BUFFER = 1 << 16;
/** Room kept for one line: a longer line flushes first. */
const LINE = 512;
const decoder = new TextDecoder();

/**
 * Result lines as bytes; see the module documentation.
 *
 * @example The same lines as the view's formatters
 * ```ts
 * import { ScanLineWriter } from "./scan_lines.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createMemoryHost();
 * const lines = new ScanLineWriter(host, "csv", 9);
 * lines.write({
 *   host: "192.0.2.1", port: 22, state: "open", reason: "syn-ack", rttMs: 0.5,
 *   ttl: 64, reasonIp: undefined, addressIndex: 0,
 * });
 * lines.flush();
 * assert.equal(host.out, "192.0.2.1,22,open,syn-ack,0.5\n");
 * ```
 */
export class ScanLineWriter {
  readonly #host: CliHost;
  readonly #format: Exclude<ScanFormat, "json">;
  readonly #hostColumn: number;
  readonly #buffer = new Uint8Array(BUFFER);
  #at = 0;
  /** Called before bytes are written (to clear a progress line). */
  onWrite: () => void = () => {};

  /**
   * Make a writer.
   *
   * @param host Where the lines go.
   * @param format `table`, `csv` or `ndjson`.
   * @param width The host column's width (`hostWidth`), for the table.
   */
  constructor(
    host: CliHost,
    format: Exclude<ScanFormat, "json">,
    width: number,
  ) {
    this.#host = host;
    this.#format = format;
    this.#hostColumn = Math.max(4, width);
  }

  /**
   * Append one result's line.
   *
   * @param r The result (read now, not kept).
   */
  write(r: ScanResultView): void {
    if (this.#at + LINE + r.host.length > BUFFER) this.flush();
    if (this.#format === "csv") this.#csv(r);
    else if (this.#format === "ndjson") this.#ndjson(r);
    else this.#table(r);
  }

  /** Write out what is buffered. */
  flush(): void {
    if (this.#at === 0) return;
    this.onWrite();
    const bytes = this.#buffer.subarray(0, this.#at);
    if (this.#host.stdoutBytes !== undefined) this.#host.stdoutBytes(bytes);
    else this.#host.stdout(decoder.decode(bytes));
    this.#at = 0;
  }

  #text(text: string): void {
    const b = this.#buffer;
    let at = this.#at;
    for (let i = 0; i < text.length; i++) b[at++] = text.charCodeAt(i);
    this.#at = at;
  }

  #byte(c: number): void {
    this.#buffer[this.#at++] = c;
  }

  #int(n: number): void {
    if (n >= 10) this.#int(Math.floor(n / 10));
    this.#buffer[this.#at++] = 48 + (n % 10);
  }

  #pad(n: number): void {
    for (let i = 0; i < n; i++) this.#buffer[this.#at++] = 32;
  }

  /** The round-trip time as the view prints it: `Number(ms.toFixed(3))`. */
  #rtt(ms: number): string {
    return String(Number(Math.max(0, ms).toFixed(3)));
  }

  #csv(r: ScanResultView): void {
    this.#text(r.host);
    this.#byte(44);
    this.#int(r.port);
    this.#byte(44);
    this.#text(r.state);
    this.#byte(44);
    this.#text(r.reason);
    this.#byte(44);
    if (r.rttMs !== null) this.#text(this.#rtt(r.rttMs));
    this.#byte(10);
  }

  #ndjson(r: ScanResultView): void {
    this.#text('{"host":"');
    this.#text(r.host);
    this.#text('","port":');
    this.#int(r.port);
    this.#text(',"state":"');
    this.#text(r.state);
    this.#text('","reason":"');
    this.#text(r.reason);
    this.#text('","rtt_ms":');
    this.#text(r.rttMs === null ? "null" : this.#rtt(r.rttMs));
    if (r.ttl !== undefined) {
      this.#text(',"ttl":');
      this.#int(r.ttl);
    }
    if (r.reasonIp !== undefined) {
      this.#text(',"reason_ip":"');
      this.#text(r.reasonIp);
      this.#byte(34);
    }
    this.#text("}\n");
  }

  #table(r: ScanResultView): void {
    // `${host.padEnd(w)}  ${port.padStart(5)}  ${state.padEnd(13)}  ${reason.padEnd(19)}  ${rtt}`
    this.#text(r.host);
    this.#pad(Math.max(0, this.#hostColumn - r.host.length) + 2);
    const digits = r.port >= 10000
      ? 5
      : r.port >= 1000
      ? 4
      : r.port >= 100
      ? 3
      : r.port >= 10
      ? 2
      : 1;
    this.#pad(5 - digits);
    this.#int(r.port);
    this.#pad(2);
    this.#text(r.state);
    this.#pad(Math.max(0, 13 - r.state.length) + 2);
    this.#text(r.reason);
    this.#pad(Math.max(0, 19 - r.reason.length) + 2);
    if (r.rttMs === null) this.#byte(45);
    else {
      this.#text(Number(this.#rtt(r.rttMs)).toFixed(2));
      this.#text(" ms");
    }
    this.#byte(10);
  }
}
