/**
 * The small texts nmap's outputs share: C's `ctime` dates, nmap's
 * significant-digit numbers, XML escaping, "1 IP address (1 host up)".
 *
 * @module
 */

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

function two(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * A time as C's `ctime` writes it, in local time, without the newline:
 * `Sun Dec  6 22:03:20 2026`.
 *
 * @param ms Epoch ms.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { ctime } from "./_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(ctime(0), /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
 * ```
 */
export function ctime(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${
    String(d.getDate()).padStart(2)
  } ${two(d.getHours())}:${two(d.getMinutes())}:${
    two(d.getSeconds())
  } ${d.getFullYear()}`;
}

/**
 * A time as nmap's "Starting Nmap … at" line writes it: `2026-12-06 22:03
 * UTC` (local time and the zone's short name).
 *
 * @param ms Epoch ms.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { startTime } from "./_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(startTime(0), /^\d{4}-\d\d-\d\d \d\d:\d\d \S+$/);
 * ```
 */
export function startTime(ms: number): string {
  const d = new Date(ms);
  const zone = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
    .formatToParts(d).find((p) => p.type === "timeZoneName")?.value ?? "";
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${
    two(d.getHours())
  }:${two(d.getMinutes())} ${zone}`.trimEnd();
}

/**
 * A number rounded to significant digits as nmap prints latencies
 * (`num_to_string_sigdigits`): 0.0000060, 0.00045, 0.12.
 *
 * @param value The number.
 * @param digits Significant digits.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { sigDigits } from "./_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sigDigits(0.000006, 2), "0.0000060");
 * assert.equal(sigDigits(0.000153, 2), "0.00015");
 * assert.equal(sigDigits(1.234, 2), "1.2");
 * ```
 */
export function sigDigits(value: number, digits: number): string {
  if (value === 0) return value.toFixed(digits);
  const shift = Math.floor(Math.log10(Math.abs(value))) - digits + 1;
  const scale = 10 ** shift;
  const rounded = Math.floor(value / scale + 0.5) * scale;
  return rounded.toFixed(Math.min(100, Math.max(0, -shift)));
}

/**
 * Text made safe for an XML attribute or comment, as nmap writes it:
 * markup characters as entities, a `-` after a `-` as `&#45;` (so no
 * comment holds `--`), and bytes XML cannot hold as `\xNN`
 * (`protect_xml`).
 *
 * @param text The text.
 * @returns The escaped text.
 *
 * @example
 * ```ts
 * import { xmlEscape } from "./_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(xmlEscape(`a<b & "c" --reason\u0007`), "a&lt;b &amp; &quot;c&quot; -&#45;reason\\x07");
 * ```
 */
export function xmlEscape(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const code = c.charCodeAt(0);
    if (c === "&") out += "&amp;";
    else if (c === "<") out += "&lt;";
    else if (c === ">") out += "&gt;";
    else if (c === '"') out += "&quot;";
    else if (c === "'") out += "&#39;";
    else if (c === "-" && text[i - 1] === "-") out += "&#45;";
    else if (
      (code < 0x20 && c !== "\t" && c !== "\n" && c !== "\r") ||
      (code >= 0x7f && code <= 0x9f) || code === 0xfffe || code === 0xffff
    ) {
      out += `\\x${code.toString(16).toUpperCase().padStart(2, "0")}`;
    } else out += c;
  }
  return out;
}

/**
 * "1 IP address (1 host up)", as nmap's last line counts hosts.
 *
 * @param total Hosts scanned.
 * @param up Hosts up.
 * @returns The words.
 *
 * @example
 * ```ts
 * import { hostsText } from "./_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(hostsText(2, 1), "2 IP addresses (1 host up)");
 * ```
 */
export function hostsText(total: number, up: number): string {
  return `${total} IP address${total === 1 ? "" : "es"} (${up} host${
    up === 1 ? "" : "s"
  } up)`;
}

/**
 * Seconds with two decimals, as nmap writes elapsed times.
 *
 * @param ms Milliseconds.
 * @returns `0.13`.
 *
 * @example
 * ```ts
 * import { seconds } from "./_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(seconds(1296), "1.30");
 * ```
 */
export function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(2);
}
