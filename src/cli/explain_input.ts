/**
 * What `explain` reads: hex as people paste it (with `tcpdump -x` offsets
 * and `#` comments), and how a capture file is told from hex.
 *
 * @module
 */

import { ParseError } from "../wire/errors.ts";
import { parseHex } from "../wire/hex.ts";
import { quote, reasonOf, UsageError } from "./errors.ts";
import type { CliHost } from "./host.ts";

/**
 * Parse hex as people paste it: what `parseHex` accepts (spaces, colons,
 * `0x` prefixes), and also `#` comments and the output of `tcpdump -x`
 * (when lines start with an offset such as `0x0010:`, only those lines are
 * read, without their offsets, so tcpdump's summary line is skipped).
 *
 * @param text The text.
 * @returns The bytes.
 * @throws {ParseError} For anything else, with a message that quotes at
 *   most a short excerpt of the text.
 *
 * @example
 * ```ts
 * import { parseHexInput } from "./explain_input.ts";
 * import assert from "node:assert/strict";
 *
 * const dump = [
 *   "\t0x0000:  4500 0028 0001 0000 4006 f6a3 c000 022a",
 *   "\t0x0010:  c000 0201 # and so on",
 * ].join("\n");
 * assert.equal(parseHexInput(dump).length, 20);
 * assert.throws(() => parseHexInput("45 zz"), /"z" is not a hex digit/);
 * ```
 */
export function parseHexInput(text: string): Uint8Array {
  const OFFSET = /^\s*0x[0-9a-f]+:\s/i;
  let lines = text.split(/\r?\n/).map((line) => line.replace(/#.*$/, ""));
  // tcpdump -x: keep the dump lines, not the summary line above them.
  if (lines.some((line) => OFFSET.test(line))) {
    lines = lines.filter((line) => OFFSET.test(line));
  }
  const cleaned = lines.map((line) => line.replace(OFFSET, " ")).join("\n");
  try {
    return parseHex(cleaned);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    const prefix = `Cannot parse hex bytes "${cleaned}": `;
    const reason = error.message.startsWith(prefix)
      ? error.message.slice(prefix.length)
      : error.message;
    const excerpt = text.trim().length <= 40 ? text.trim() : undefined;
    throw new ParseError(
      "hex bytes",
      excerpt ?? `${text.trim().slice(0, 37)}...`,
      reason,
    );
  }
}

const CAPTURE_MAGICS: ReadonlySet<number> = new Set([
  0xa1b2c3d4,
  0xd4c3b2a1,
  0xa1b23c4d,
  0x4d3cb2a1,
  0xa1b2cd34,
  0x34cdb2a1,
  0x0a0d0d0a,
]);

/**
 * Whether bytes start like a capture file: the magic number of pcap (any
 * byte order, micro- or nanoseconds) or of a pcapng section.
 *
 * @param bytes The bytes.
 * @returns True for a capture.
 *
 * @example
 * ```ts
 * import { isCapture } from "./explain_input.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isCapture(new Uint8Array([0xd4, 0xc3, 0xb2, 0xa1])));
 * assert.ok(!isCapture(new TextEncoder().encode("4500")));
 * ```
 */
export function isCapture(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const magic = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(
    0,
    true,
  );
  return CAPTURE_MAGICS.has(magic);
}

/**
 * {@linkcode parseHexInput}, with a bad text as a usage error naming where
 * it came from.
 *
 * @param text The text.
 * @param where `HEX` or `standard input`.
 * @returns The bytes.
 * @throws {UsageError} For text that is not hex.
 *
 * @example
 * ```ts
 * import { hexOrUsage } from "./explain_input.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => hexOrUsage("zz", "HEX"), /^UsageError: HEX: cannot parse hex bytes/);
 * ```
 */
export function hexOrUsage(text: string, where: string): Uint8Array {
  try {
    return parseHexInput(text);
  } catch (error) {
    if (error instanceof ParseError) {
      throw new UsageError(`${where}: ${reasonOf(error)}`, { cause: error });
    }
    throw error;
  }
}

/**
 * Open the capture file of `explain --pcap FILE`: streamed where the host
 * can, else read whole. A file that cannot be opened is a usage error
 * naming `--pcap`, as for `build --data-file`.
 *
 * @param host The host.
 * @param path The file.
 * @returns Its bytes, or a stream of them.
 * @throws {UsageError} When the file cannot be opened.
 *
 * @example
 * ```ts
 * import { openCaptureFile } from "./explain_input.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(
 *   openCaptureFile(createMemoryHost(), "nowhere.pcap"),
 *   /^UsageError: --pcap: cannot read "nowhere\.pcap": /,
 * );
 * ```
 */
export async function openCaptureFile(
  host: CliHost,
  path: string,
): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  try {
    return host.files !== undefined
      ? await host.files.openRead(path)
      : await host.readFile(path);
  } catch (error) {
    throw new UsageError(
      `--pcap: cannot read ${quote(path)}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
}
