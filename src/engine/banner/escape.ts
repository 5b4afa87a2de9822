/**
 * Banners made safe for a terminal: what a server sends is any bytes, and
 * printing them raw lets it move the cursor, clear the screen or retitle
 * the window. Only printable ASCII is kept; `\r`, `\n` and `\t` become
 * those two-character escapes, a backslash is doubled, and every other
 * byte is `\xNN` (nmap's `escape_for_screen` writes the same `\xNN`), so
 * a banner is one line whatever it holds. Bytes, not text: the project's
 * text escapers (`escapeControls` in the CLI) work on decoded strings and
 * keep non-ASCII letters, which a banner of unknown encoding cannot have.
 *
 * @module
 */

/**
 * A banner's bytes as one terminal-safe line.
 *
 * @param bytes The bytes.
 * @returns The escaped text.
 *
 * @example
 * ```ts
 * import { escapeBanner } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("SSH-2.0-x\r\n\u001b[2J\\ é");
 * assert.equal(escapeBanner(bytes), "SSH-2.0-x\\r\\n\\x1B[2J\\\\ \\xC3\\xA9");
 * ```
 */
export function escapeBanner(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) {
    if (byte === 0x5c) out += "\\\\";
    else if (byte === 0x0d) out += "\\r";
    else if (byte === 0x0a) out += "\\n";
    else if (byte === 0x09) out += "\\t";
    else if (byte >= 0x20 && byte <= 0x7e) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
