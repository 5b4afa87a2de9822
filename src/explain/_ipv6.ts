/**
 * The IPv6 fixed header and its extension headers explained field by
 * field, with the payload length judged against the bytes. Private to the
 * explainer.
 *
 * @module
 */

import type { DecodedIpv6Header } from "../wire/ipv6.ts";
import {
  IPV6_EXTENSION_HEADER_FIELDS,
  IPV6_HEADER_FIELDS,
  IPV6_HEADER_LENGTH,
} from "../wire/ipv6_fields.ts";
import {
  type DecodedIp,
  type DecodedIpv6ExtensionHeader,
  IPV6_EXTENSION_HEADER_NAMES,
} from "../wire/packet.ts";
import { plural } from "../wire/text.ts";
import type { Builder } from "./_builder.ts";
import { dscpMeaning, ECN_MEANINGS, protocolName } from "./_meanings.ts";
import type { ExplainedLayer, ExplainOptions } from "./types.ts";

const F = IPV6_HEADER_FIELDS;
const E = IPV6_EXTENSION_HEADER_FIELDS;

/** Next Header value of a routing header, whose data starts with its type and segments left. */
const ROUTING_HEADER = 43;

/** The payload length, judged against the packet's length on the wire. */
function explainPayloadLength(
  b: Builder,
  layer: ExplainedLayer,
  ip: DecodedIpv6Header,
  wire: number,
): void {
  const at = F.payloadLength.byteOffset;
  const after = wire - IPV6_HEADER_LENGTH;
  let meaning =
    `${ip.payloadLength} bytes after this ${IPV6_HEADER_LENGTH}-byte header`;
  if (ip.payloadLength > after) {
    meaning += `, but only ${after} follow`;
    b.anomaly(
      "ipv6-payload-length",
      `IPv6 payload length ${ip.payloadLength} is more than the ${after} bytes after the header: ${
        ip.payloadLength - after
      } bytes are missing`,
      at,
      "payloadLength",
    );
  } else if (ip.payloadLength < after) {
    const outside = plural(after - ip.payloadLength, "byte");
    meaning += `; the ${outside} after it are not part of the packet`;
    b.anomaly(
      "ipv6-payload-length",
      `IPv6 payload length ${ip.payloadLength} is less than the ${after} bytes after the header: the last ${outside} are outside the packet and ignored`,
      at,
      "payloadLength",
    );
  }
  b.field(layer, F.payloadLength, { meaning });
}

/** One extension header as a layer of its own. */
function explainExtension(
  b: Builder,
  header: DecodedIpv6ExtensionHeader,
): void {
  const known = IPV6_EXTENSION_HEADER_NAMES[header.type];
  const name = known === undefined
    ? `IPv6 extension header ${header.type}`
    : `IPv6 ${known}`;
  const dataAt = E.data.byteOffset;
  const length = header.data.length + dataAt;
  const layer = b.layer("ipv6-extension", name, header.offset, length);
  b.field(layer, E.nextHeader, { meaning: protocolName(header.nextHeader) });
  const hdrExtLen = b.bytes[header.offset + E.hdrExtLen.byteOffset];
  b.field(layer, E.hdrExtLen, {
    meaning: `(${hdrExtLen} + 1) × 8 = ${length} bytes`,
  });
  const routing = header.type === ROUTING_HEADER;
  b.field(
    layer,
    {
      ...E.data,
      name: routing ? "Routing data" : "Options",
      bitLength: header.data.length * 8,
    },
    {
      meaning: routing
        ? `routing type ${header.data[0]}, segments left ${header.data[1]}`
        : `${plural(header.data.length, "byte")} of options`,
    },
  );
}

/**
 * Explain the IPv6 fixed header of a packet and each extension header
 * walked: every field, and the payload length judged against the bytes (or
 * the length on the wire, for a cut capture).
 *
 * @param b The explanation.
 * @param decoded The packet, decoded leniently.
 * @param options `wireLength`.
 */
export function explainIpv6(
  b: Builder,
  decoded: DecodedIp,
  options: ExplainOptions,
): void {
  const ip = decoded.ip;
  if (ip.version !== 6) return;
  const layer = b.layer("ipv6", "IPv6 header", 0, IPV6_HEADER_LENGTH);
  b.field(layer, F.version, { meaning: "IPv6" });
  b.field(layer, F.dscp, { meaning: dscpMeaning(ip.trafficClass >> 2) });
  b.field(layer, F.ecn, { meaning: ECN_MEANINGS[ip.trafficClass & 3]! });
  b.field(layer, F.flowLabel, {
    display: `${ip.flowLabel} (0x${
      ip.flowLabel.toString(16).padStart(5, "0")
    })`,
    meaning: ip.flowLabel === 0 ? "0: no flow label" : F.flowLabel.meaning,
  });
  explainPayloadLength(b, layer, ip, options.wireLength ?? b.bytes.length);
  b.field(layer, F.nextHeader, { meaning: protocolName(ip.nextHeader) });
  b.field(layer, F.hopLimit, {
    meaning: `${plural(ip.hopLimit, "more hop")} before a router drops it`,
  });
  b.field(layer, F.src, { value: ip.src, meaning: F.src.meaning });
  b.field(layer, F.dst, { value: ip.dst, meaning: F.dst.meaning });
  for (const header of decoded.extensionHeaders ?? []) {
    explainExtension(b, header);
  }
}
