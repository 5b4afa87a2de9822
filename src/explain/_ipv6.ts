/**
 * The IPv6 fixed header and its extension headers explained field by
 * field (options one by one, routing addresses, the fragment header), with
 * the payload length judged against the bytes. Private to the explainer.
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
  IPV6_FRAGMENT_HEADER,
} from "../wire/packet.ts";
import {
  decodeIpv6Extension,
  decodeIpv6TlvOptions,
  type Ipv6FragmentExtension,
  type Ipv6SegmentRoutingExtension,
  type Ipv6TlvOption,
  type Ipv6Type0RoutingExtension,
} from "../wire/ipv6_extension_kinds.ts";
import { plural } from "../wire/text.ts";
import { type Builder, byteSpan, type FieldSpec } from "./_builder.ts";
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

/** What a node that does not know an option type does with it (RFC 8200 §4.2). */
const TLV_ACTIONS = [
  "skip it",
  "discard the packet",
  "discard the packet and send an ICMP parameter problem",
  "discard the packet and send an ICMP parameter problem unless the destination is multicast",
];

function tlvWords(option: Ipv6TlvOption): [string, string, string] {
  switch (option.kind) {
    case "pad1":
      return ["Pad1", "Pad1", "one byte of padding"];
    case "padN":
      return ["PadN", "PadN", `${plural(option.size + 2, "byte")} of padding`];
    case "routerAlert":
      return [
        "Router alert",
        "RA",
        `router alert (RFC 2711): value ${option.value}${
          option.value === 0
            ? ", the packet holds an MLD message"
            : option.value === 1
            ? ", the packet holds an RSVP message"
            : ""
        }`,
      ];
    case "unknown": {
      const t = option.type;
      return [
        `Type ${t}`,
        `O${t}`,
        `option type 0x${
          t.toString(16).padStart(2, "0")
        }: a node that does not know it must ${TLV_ACTIONS[t >> 6]}; its data ${
          (t & 0x20) !== 0 ? "may change" : "does not change"
        } en route; ${plural(option.data.length, "byte")} of data`,
      ];
    }
  }
}

/** The fields of a hop-by-hop or destination options header's options. */
function explainTlvOptions(
  b: Builder,
  layer: ExplainedLayer,
  data: Uint8Array,
): void {
  const at = E.data.byteOffset;
  const { options, offsets, rest } = decodeIpv6TlvOptions(data);
  options.forEach((option, i) => {
    const [name, abbreviation, meaning] = tlvWords(option);
    const next = offsets[i + 1] ?? rest ?? data.length;
    b.field(
      layer,
      byteSpan(
        `ext.option.${option.kind}`,
        `Option: ${name}`,
        abbreviation,
        at + offsets[i]!,
        next - offsets[i]!,
      ),
      { display: abbreviation, meaning },
    );
  });
  if (rest !== undefined) {
    b.field(
      layer,
      byteSpan(
        "ext.malformed",
        "Malformed",
        "BAD",
        at + rest,
        data.length - rest,
      ),
      {
        meaning:
          "bytes that are not a whole option: its length runs past the header",
      },
    );
  }
}

function bits(
  key: string,
  name: string,
  abbreviation: string,
  byteOffset: number,
  bitOffset: number,
  bitLength: number,
): FieldSpec {
  return { key, name, abbreviation, byteOffset, bitOffset, bitLength };
}

/** The fields of a routing header's data, by its type. */
function explainRouting(
  b: Builder,
  layer: ExplainedLayer,
  extension: Ipv6Type0RoutingExtension | Ipv6SegmentRoutingExtension,
): void {
  const at = E.data.byteOffset;
  const type0 = extension.kind === "routing";
  const list = type0 ? extension.addresses : extension.segmentList;
  const left = extension.segmentsLeft ?? 0;
  b.field(layer, byteSpan("routingType", "Routing Type", "Type", at, 1), {
    meaning: type0
      ? "0: source route (RFC 2460; deprecated by RFC 5095, routers drop it)"
      : "4: segment routing (RFC 8754)",
  });
  b.field(layer, byteSpan("segmentsLeft", "Segments Left", "Left", at + 1, 1), {
    meaning: `${plural(left, "segment")} still to visit${
      left > 0
        ? `: the TCP checksum uses the final destination, ${
          type0 ? list[list.length - 1] : list[0]
        }`
        : ""
    }`,
  });
  if (type0) {
    b.field(layer, byteSpan("reserved", "Reserved", "Rsvd", at + 2, 4), {
      meaning: "set to 0 by the sender, ignored",
    });
  } else {
    b.field(layer, byteSpan("lastEntry", "Last Entry", "Last", at + 2, 1), {
      meaning: `index of the last segment: ${
        plural(extension.lastEntry! + 1, "segment")
      } in the list`,
    });
    b.field(layer, byteSpan("flags", "Flags", "Flags", at + 3, 1), {
      meaning: extension.flags === 0
        ? "none set"
        : "set (see RFC 8754 and its updates)",
    });
    b.field(layer, byteSpan("tag", "Tag", "Tag", at + 4, 2), {
      meaning: "marks a class or group of packets (0: none)",
    });
  }
  list.forEach((address, i) => {
    const role = type0
      ? i === list.length - 1 ? "the final destination" : `hop ${i + 1}`
      : i === 0
      ? "Segment List[0]: the final destination"
      : `Segment List[${i}]`;
    b.field(
      layer,
      byteSpan(
        `address.${i}`,
        type0 ? `Address ${i + 1}` : `Segment ${i}`,
        `Addr${i}`,
        at + 6 + 16 * i,
        16,
      ),
      { value: address, meaning: role },
    );
  });
}

/** The fields of a fragment header's data. */
function explainFragment(
  b: Builder,
  layer: ExplainedLayer,
  fragment: Ipv6FragmentExtension,
): void {
  const at = E.data.byteOffset;
  b.field(
    layer,
    bits("fragmentOffset", "Fragment Offset", "Offset", at, 0, 13),
    {
      meaning: fragment.offset === 0
        ? "0: the start of the fragmentable part"
        : `${fragment.offset} × 8 = byte ${
          fragment.offset * 8
        } of the fragmentable part`,
    },
  );
  b.field(layer, bits("res", "Res", "Res", at, 13, 2), {
    meaning: "reserved: 0",
  });
  b.field(layer, bits("moreFragments", "M", "M", at, 15, 1), {
    meaning: fragment.more
      ? "set: more fragments follow"
      : "clear: the last fragment",
  });
  b.field(
    layer,
    byteSpan("identification", "Identification", "Id", at + 2, 4),
    {
      meaning: fragment.offset === 0 && !fragment.more
        ? "an atomic fragment (RFC 6946): the whole packet, not cut"
        : "identifies the fragments of one packet",
    },
  );
}

/** One extension header as a layer of its own. */
function explainExtension(
  b: Builder,
  header: DecodedIpv6ExtensionHeader,
): void {
  const known = header.type === IPV6_FRAGMENT_HEADER
    ? "fragment header"
    : IPV6_EXTENSION_HEADER_NAMES[header.type];
  const name = known === undefined
    ? `IPv6 extension header ${header.type}`
    : `IPv6 ${known}`;
  const dataAt = E.data.byteOffset;
  const length = header.data.length + dataAt;
  const layer = b.layer("ipv6-extension", name, header.offset, length);
  b.field(layer, E.nextHeader, { meaning: protocolName(header.nextHeader) });
  const typed = decodeIpv6Extension(header.type, header.data);
  if (typed?.kind === "fragment") {
    b.field(layer, {
      ...E.hdrExtLen,
      key: "reserved",
      name: "Reserved",
      abbreviation: "Rsvd",
    }, {
      meaning: "reserved: 0 (a fragment header is always 8 bytes)",
    });
    explainFragment(b, layer, typed);
    return;
  }
  const hdrExtLen = b.bytes[header.offset + E.hdrExtLen.byteOffset];
  b.field(layer, E.hdrExtLen, {
    meaning: `(${hdrExtLen} + 1) × 8 = ${length} bytes`,
  });
  if (typed?.kind === "hopByHop" || typed?.kind === "destinationOptions") {
    explainTlvOptions(b, layer, header.data);
    return;
  }
  if (typed?.kind === "routing" || typed?.kind === "segmentRouting") {
    explainRouting(b, layer, typed);
    return;
  }
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
 * Explain the fragment header an IPv6 packet's walk stopped at (a
 * fragment that is not atomic), as a layer of its own.
 *
 * @param b The explanation.
 * @param decoded The packet, decoded leniently.
 */
export function explainIpv6FragmentHeader(
  b: Builder,
  decoded: DecodedIp,
): void {
  const at = decoded.payloadOffset;
  if (decoded.payload.length < 8) return;
  explainExtension(b, {
    type: IPV6_FRAGMENT_HEADER,
    offset: at,
    nextHeader: b.bytes[at]!,
    data: b.bytes.slice(at + 2, at + 8),
  });
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
