/**
 * What values mean, in plain words: well-known ports, protocol numbers,
 * DSCP and ECN code points, and data as safe text. Private to the
 * explainer.
 *
 * @module
 */

/**
 * Bytes as safe text: printable ASCII kept, backslash doubled, anything else
 * as `\xNN`.
 */
export function safePreview(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) {
    if (byte === 0x5c) text += "\\\\";
    else if (byte >= 0x20 && byte <= 0x7e) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return text;
}

const WELL_KNOWN_PORTS: Readonly<Record<number, string>> = Object.freeze({
  7: "echo",
  20: "ftp-data",
  21: "ftp",
  22: "ssh",
  23: "telnet",
  25: "smtp",
  53: "domain (DNS)",
  80: "http",
  110: "pop3",
  111: "sunrpc",
  119: "nntp",
  135: "msrpc",
  139: "netbios-ssn",
  143: "imap",
  179: "bgp",
  389: "ldap",
  443: "https",
  445: "microsoft-ds (SMB)",
  465: "smtps",
  587: "submission",
  636: "ldaps",
  666: "doom",
  853: "domain-s (DNS over TLS)",
  993: "imaps",
  995: "pop3s",
  1433: "ms-sql-s",
  1521: "oracle",
  3306: "mysql",
  3389: "ms-wbt-server (RDP)",
  5432: "postgresql",
  5900: "vnc",
  6379: "redis",
  8080: "http-alt",
  8443: "https-alt",
});

export function portMeaning(port: number): string {
  const name = WELL_KNOWN_PORTS[port];
  const range = port === 0
    ? "reserved: no service uses port 0"
    : port < 1024
    ? "a system (well-known) port"
    : port < 49152
    ? "a user (registered) port"
    : "a dynamic (ephemeral) port, typical of a client";
  return name === undefined ? range : `${name}, ${range}`;
}

const PROTOCOL_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: "IPv6 hop-by-hop options",
  1: "ICMP",
  2: "IGMP",
  4: "IPv4 in IPv4",
  6: "TCP",
  17: "UDP",
  41: "IPv6 in IP",
  43: "IPv6 routing header",
  44: "IPv6 fragment header",
  47: "GRE",
  50: "ESP",
  51: "AH",
  58: "ICMPv6",
  59: "no next header",
  60: "IPv6 destination options",
  132: "SCTP",
});

export function protocolName(protocol: number): string {
  return PROTOCOL_NAMES[protocol] ?? "unassigned or unknown";
}

export const ECN_MEANINGS = [
  "Not-ECT: the sender does not use ECN",
  "ECT(1): ECN-capable transport",
  "ECT(0): ECN-capable transport",
  "CE: congestion experienced, marked by a router",
] as const;

export function dscpMeaning(dscp: number): string {
  if (dscp === 0) return "default: best effort";
  if (dscp === 46) return "EF: expedited forwarding";
  if (dscp === 44) return "VOICE-ADMIT";
  if (dscp % 8 === 0) return `CS${dscp / 8}: class selector`;
  const cls = dscp >> 3;
  const drop = (dscp >> 1) & 3;
  if ((dscp & 1) === 0 && cls >= 1 && cls <= 4 && drop >= 1) {
    return `AF${cls}${drop}: assured forwarding`;
  }
  return "not a standard code point";
}
