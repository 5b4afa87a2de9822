/**
 * The IP part of tcpdump's line, read from the bytes the way tcpdump 4.99
 * reads them (`print-ip.c`, `print-ip6.c`, `print-ip6opts.c`,
 * `print-rt6.c`, `print-frag6.c`): the complaint about an IP length past
 * the wire length, the IPv6 extension headers as tcpdump names them, and
 * where the bytes of a capture cut short end before the TCP header
 * (`[|ip]`, `[|hbhopt]`, `[|rt6]`, `[|frag6]`, `[|tcp]` …). Private to
 * `src/cli`.
 *
 * @module
 */

import { formatIPv4, formatIPv6 } from "../wire/address.ts";

/** What tcpdump writes of the IP layer, and where the TCP header starts. */
export interface IpLead {
  /** The text after `IP ` or `IP6 `, up to the TCP flags (or the end). */
  text: string;
  /** True when tcpdump's line ends with the text. */
  ends: boolean;
  /** Where the TCP header starts, when the line goes on to it. */
  tcpAt?: number;
}

/** The datagram's length by its IP header, or undefined (IPv6 payload length 0). */
export function claimedDatagram(
  ip: { version: 4; totalLength: number } | {
    version: 6;
    payloadLength: number;
  },
): number | undefined {
  if (ip.version === 4) return ip.totalLength;
  return ip.payloadLength === 0 ? undefined : 40 + ip.payloadLength;
}

/** tcpdump's complaint when the IP header claims more than was on the wire. */
export function missingText(
  version: 4 | 6,
  claimed: number | undefined,
  wireLength: number | undefined,
): string {
  if (wireLength === undefined || claimed === undefined) return "";
  if (claimed <= wireLength) return "";
  return version === 4
    ? `truncated-ip - ${claimed - wireLength} bytes missing! `
    : `truncated-ip6 - ${claimed - wireLength} bytes missing!`;
}

/** One extension header's text, and whether the line ends in it. */
interface Part {
  text: string;
  ends: boolean;
}

const end = (text: string): Part => ({ text, ends: true });

/** A routing header, as far as its bytes go: `RT6 (len=2, type=0 [Deprecated], segleft=1, [0]2001:db8::3) `. */
export function routingText(h: Uint8Array): Part {
  const cut = (text: string) => end(`${text} [|rt6]`);
  let text = "RT6";
  if (h.length < 2) return cut(text);
  const length = h[1]!;
  text += ` (len=${length}`;
  if (h.length < 3) return cut(text);
  const type = h[2]!;
  text += `, type=${type}${type === 0 ? " [Deprecated]" : ""}`;
  if (h.length < 4) return cut(text);
  text += `, segleft=${h[3]}`;
  if (type === 0 || type === 2) {
    if (h.length < 8) return cut(text);
    const reserved = ((h[4]! << 24) | (h[5]! << 16) | (h[6]! << 8) | h[7]!) >>>
      0;
    if (reserved !== 0) text += `, rsv=0x${reserved.toString(16)}`;
  } else if (type === 4) {
    if (h.length < 5) return cut(text);
    text += `, last-entry=${h[4]}`;
    if (h.length < 6) return cut(text);
    if (h[5] !== 0) text += `, flags=0x${h[5]!.toString(16)}`;
    if (h.length < 8) return cut(text);
    text += `, tag=${((h[6]! << 8) | h[7]!).toString(16)}`;
  } else {
    return end(`${text} (unknown type) (invalid)`);
  }
  if (length % 2 === 1) {
    return end(`${text} (invalid length ${length}) (invalid)`);
  }
  for (let i = 0; i < length / 2; i++) {
    const at = 8 + 16 * i;
    if (h.length < at + 16) return cut(text);
    text += `, [${i}]${formatIPv6(h.subarray(at, at + 16))}`;
  }
  return { text: `${text}) `, ends: false };
}

/** The options of a hop-by-hop header (the bytes after its first two) that tcpdump rejects. */
const HOP_BY_HOP_RULES: Readonly<
  Record<number, readonly [string, number, (n: number) => boolean]>
> = {
  0x05: ["rtalert", 4, (n) => n === 2],
  0xc2: ["jumbo", 6, (n) => n === 4],
  0xc9: ["homeaddr", 18, (n) => n >= 16],
};

/** A whole hop-by-hop header: `HBH `, or what tcpdump says of a bad option and `[|hbhopt]`. */
export function hopByHopText(options: Uint8Array): Part {
  const cut = (what: string) => end(`HBH ${what} [|hbhopt]`);
  for (let i = 0; i < options.length;) {
    const type = options[i]!;
    if (type === 0) {
      i++;
      continue;
    }
    if (i + 1 >= options.length) return cut("");
    const length = options[i + 1]! + 2;
    if (i + length > options.length) return cut("");
    const rule = HOP_BY_HOP_RULES[type];
    if (rule !== undefined) {
      if (options.length - i < rule[1]) return cut(`(${rule[0]}: trunc)`);
      if (!rule[2](options[i + 1]!)) {
        return cut(`(${rule[0]}: invalid len ${options[i + 1]})`);
      }
    }
    i += length;
  }
  return { text: "HBH ", ends: false };
}

/**
 * A length as tcpdump's `%zu` prints it: one below 0 wraps around 2^64.
 *
 * @param n The length.
 * @returns Its text.
 */
export function sizeT(n: number): string {
  return n >= 0 ? String(n) : String(2n ** 64n + BigInt(n));
}

/**
 * What tcpdump says of a hop-by-hop header that is not the first extension
 * header, and ends its line with.
 *
 * @param again Whether one came before it.
 * @returns The text.
 */
export function misplacedHopByHop(again: boolean): string {
  return again
    ? "[The Hop-by-Hop Options header was already found] (invalid)"
    : "[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)";
}

/** The fragment header's text (`frag (8|32)`), from its first four bytes. */
function fragmentPart(
  h: Uint8Array,
  at: number,
  payloadLength: number,
): Part & { first: boolean } {
  if (h.length < 4) return { ...end(" [|frag6]"), first: false };
  const offset = ((h[2]! << 8) | h[3]!) & 0xfff8;
  const text = `frag (${offset}|${sizeT(40 + payloadLength - at - 8)})`;
  if (offset !== 0) return { ...end(text), first: false };
  // tcpdump stops when nothing past the fragment header was captured.
  return h.length <= 8
    ? { ...end(`${text} `), first: true }
    : { text: `${text} `, ends: false, first: true };
}

/**
 * The IP part of tcpdump's line for an IPv6 datagram whose extension
 * headers or TCP header the bytes do not hold whole, walking the headers
 * as tcpdump does; undefined when the walk reaches something other than
 * TCP (tcpcraft then says why it cannot decode the packet).
 *
 * @param bytes The datagram as captured (at least the 40-byte header).
 * @returns The text after `IP6 `, and whether the line ends there.
 */
export function ipv6CutLead(bytes: Uint8Array): IpLead | undefined {
  const src = formatIPv6(bytes.subarray(8, 24));
  const dst = formatIPv6(bytes.subarray(24, 40));
  const payloadLength = (bytes[4]! << 8) | bytes[5]!;
  const fixed = bytes[6]!;
  let text = fixed === 6 ? "" : `${src} > ${dst}: `;
  let next = fixed;
  let at = 40;
  let left = payloadLength === 0 ? bytes.length - 40 : payloadLength;
  let walked = 0;
  let seen = false;
  while (next !== 6) {
    const h = bytes.subarray(at);
    let part: Part;
    let advance: number;
    if (next === 0 || next === 60) {
      const name = next === 0 ? "hbhopt" : "dstopt";
      if (next === 0 && walked > 0) return end(text + misplacedHopByHop(seen));
      advance = h.length < 2 ? 0 : (h[1]! + 1) * 8;
      if (h.length < 2 || h.length < advance) return end(`${text} [|${name}]`);
      part = next === 0
        ? hopByHopText(h.subarray(2, advance))
        : { text: "DSTOPT ", ends: false };
      if (next === 0 && payloadLength === 0 && !part.ends) {
        return end(
          `${text}${part.text}[No valid Jumbo Payload Hop-by-Hop option found] (invalid)`,
        );
      }
    } else if (next === 43) {
      if (h.length < 1) return end(`${text} [|ip6]`);
      part = routingText(h);
      advance = ((h[1] ?? 0) + 1) * 8;
    } else if (next === 44) {
      part = fragmentPart(h, at, payloadLength);
      advance = 8;
    } else {
      return undefined;
    }
    text += part.text;
    if (part.ends) return end(text);
    if (left < advance) return end(`${text} [|ip6]`);
    seen ||= next === 0;
    next = h[0]!;
    at += advance;
    left -= advance;
    walked++;
  }
  // A payload length of 0 without a jumbo option: tcpdump takes the
  // datagram to end with its headers (a truncated header chain, after
  // extension headers).
  if (payloadLength === 0 && walked > 0) return end(`${text} [|ip6]`);
  const segment = payloadLength === 0
    ? bytes.subarray(0, 0)
    : bytes.subarray(at);
  if (segment.length < 4) return end(`${text}${src} > ${dst}: [|tcp]`);
  const sport = (segment[0]! << 8) | segment[1]!;
  const dport = (segment[2]! << 8) | segment[3]!;
  const ports = fixed === 6
    ? `${src}.${sport} > ${dst}.${dport}: `
    : `${text}${sport} > ${dport}: `;
  return segment.length < 20
    ? end(`${ports} [|tcp]`)
    : { text: ports, ends: false, tcpAt: at };
}

/**
 * The IP part of tcpdump's line for an IPv4 datagram carrying TCP whose
 * header or first 20 TCP bytes the capture does not hold; undefined for
 * anything else.
 *
 * @param bytes The datagram as captured (at least 20 bytes).
 * @returns The text after `IP `, ending the line.
 */
export function ipv4CutLead(bytes: Uint8Array): IpLead | undefined {
  const headerLength = (bytes[0]! & 0x0f) * 4;
  const fragmentOffset = ((bytes[6]! << 8) | bytes[7]!) & 0x1fff;
  if (bytes[9] !== 6 || fragmentOffset !== 0 || headerLength < 20) {
    return undefined;
  }
  if (headerLength > bytes.length) {
    return end(
      ` [remaining caplen(${bytes.length}) < header length(${headerLength})] [|ip]`,
    );
  }
  const src = formatIPv4(bytes.subarray(12, 16));
  const dst = formatIPv4(bytes.subarray(16, 20));
  const segment = bytes.subarray(headerLength);
  if (segment.length >= 20) return undefined;
  if (segment.length < 4) return end(`${src} > ${dst}: [|tcp]`);
  const sport = (segment[0]! << 8) | segment[1]!;
  const dport = (segment[2]! << 8) | segment[3]!;
  return end(`${src}.${sport} > ${dst}.${dport}:  [|tcp]`);
}
