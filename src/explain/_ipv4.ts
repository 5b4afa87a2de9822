/**
 * The IPv4 header explained field by field, its options one by one, with
 * its lengths judged against the bytes and its checksum worked out.
 * Private to the explainer.
 *
 * @module
 */

import type { DecodedIpv4Header } from "../wire/ipv4.ts";
import { IPV4_HEADER_FIELDS } from "../wire/ipv4_fields.ts";
import type { DecodedIp } from "../wire/packet.ts";
import {
  decodeIpv4Options,
  ipv4OptionCopied,
  ipv4OptionEntry,
} from "../wire/ipv4_options.ts";
import { hex16, plural } from "../wire/text.ts";
import { type Builder, byteSpan } from "./_builder.ts";
import { ipv4ChecksumWork } from "./_checksum.ts";
import { dscpMeaning, ECN_MEANINGS, protocolName } from "./_meanings.ts";
import type { ChecksumWork, ExplainedLayer, ExplainOptions } from "./types.ts";

const F = IPV4_HEADER_FIELDS;

/**
 * The IPv4 options one by one, each a field with its name and meaning from
 * the IPv4 option registry; the bytes after the last one are padding. A
 * malformed option is reported, and its bytes shown as they are.
 */
function explainIpv4Options(
  b: Builder,
  layer: ExplainedLayer,
  headerLength: number,
): void {
  const at = F.options.byteOffset;
  const area = b.bytes.subarray(at, headerLength);
  const { located } = decodeIpv4Options(area, { lenient: true });
  let end = 0;
  for (const { option, offset, length } of located) {
    const entry = ipv4OptionEntry(option);
    const type = area[offset]!;
    const [name, abbreviation] = entry.label(type);
    const words = entry.words(option);
    const head = entry.length.form === "single"
      ? `type ${type}`
      : `type ${type}, length ${area[offset + 1] ?? "missing"}`;
    if (option.kind === "raw") {
      b.anomaly(
        "ipv4-options",
        `IPv4 option ${type} at byte ${
          at + offset
        } is malformed: its length is missing, under 2, past the options, or wrong for its type`,
        at + offset,
        "ipOption.raw",
      );
    }
    b.field(
      layer,
      byteSpan(
        `ipOption.${option.kind}`,
        `Option: ${name}`,
        abbreviation,
        at + offset,
        length,
      ),
      {
        display: words.display === "" ? abbreviation : words.display,
        meaning: `${head}${
          ipv4OptionCopied(type) ? ", copied into fragments" : ""
        }: ${words.meaning}`,
      },
    );
    end = offset + length;
  }
  if (end < area.length) {
    const rest = area.subarray(end);
    const zero = rest.every((byte) => byte === 0);
    b.field(
      layer,
      byteSpan("ipOptions.padding", "Padding", "Pad", at + end, rest.length),
      {
        meaning: zero
          ? "zero bytes that fill the header to a multiple of 4"
          : "not zero: bytes after the end of the option list, which receivers ignore",
      },
    );
  }
}

/** The IHL field, and an anomaly when it gives no header within the bytes. */
function explainIhl(b: Builder, layer: ExplainedLayer, ihl: number): void {
  const length = b.bytes.length;
  let meaning = `${ihl} words × 4 = ${ihl * 4} bytes${
    ihl === 5
      ? ": no options"
      : ihl > 5
      ? `: ${(ihl - 5) * 4} bytes of options`
      : ""
  }`;
  if (ihl < 5) {
    meaning =
      `${ihl} words: less than the 5 words of the smallest header; read as 20 bytes`;
    b.anomaly(
      "ipv4-ihl",
      `IPv4 IHL ${ihl} is under 5: an IPv4 header is at least 5 words (20 bytes)`,
      F.ihl.byteOffset,
      "ihl",
    );
  } else if (ihl * 4 > length) {
    meaning = `${ihl} words = ${
      ihl * 4
    } bytes, past the end of the ${length}-byte datagram`;
    b.anomaly(
      "ipv4-ihl",
      `IPv4 IHL ${ihl} says the header is ${
        ihl * 4
      } bytes, but the datagram is only ${length} bytes`,
      F.ihl.byteOffset,
      "ihl",
    );
  }
  b.field(layer, F.ihl, { meaning });
}

/** The total length, judged against the datagram's length on the wire. */
function explainTotalLength(
  b: Builder,
  layer: ExplainedLayer,
  ip: DecodedIpv4Header,
  headerLength: number,
  wire: number,
): void {
  const at = F.totalLength.byteOffset;
  let meaning = `${ip.totalLength} bytes: header and data`;
  if (ip.totalLength > wire) {
    meaning += `, but the datagram is only ${wire} bytes`;
    b.anomaly(
      "ipv4-total-length",
      `IPv4 total length ${ip.totalLength} is more than the ${wire} bytes of the datagram: ${
        ip.totalLength - wire
      } bytes are missing`,
      at,
      "totalLength",
    );
  } else if (ip.totalLength < wire) {
    const after = plural(wire - ip.totalLength, "byte");
    meaning += `; the ${after} after it are not part of the datagram`;
    b.anomaly(
      "ipv4-total-length",
      ip.totalLength < headerLength
        ? `IPv4 total length ${ip.totalLength} is less than the ${headerLength}-byte header`
        : `IPv4 total length ${ip.totalLength} is less than the ${wire} bytes given: the last ${after} are outside the datagram and ignored`,
      at,
      "totalLength",
    );
  }
  b.field(layer, F.totalLength, { meaning });
}

/** The reserved bit, DF, MF and the fragment offset. */
function explainFragmentFields(
  b: Builder,
  layer: ExplainedLayer,
  ip: DecodedIpv4Header,
): void {
  if (ip.reservedBit) {
    b.anomaly(
      "ipv4-reserved-bit",
      'the IPv4 reserved flag bit (the "evil bit" of RFC 3514) is set: senders must send 0',
      F.reservedBit.byteOffset,
      "reservedBit",
    );
  }
  b.field(layer, F.reservedBit, {
    meaning: ip.reservedBit ? "set: must be 0" : "0, as it must be",
  });
  b.field(layer, F.dontFragment, {
    meaning: ip.dontFragment
      ? "set: routers must not fragment it (path MTU discovery)"
      : "clear: routers may fragment it",
  });
  b.field(layer, F.moreFragments, {
    meaning: ip.moreFragments
      ? "set: more fragments follow"
      : "clear: the last (or only) fragment",
  });
  b.field(layer, F.fragmentOffset, {
    meaning: ip.fragmentOffset === 0
      ? "0: the start of the datagram"
      : `${ip.fragmentOffset} × 8 = byte ${
        ip.fragmentOffset * 8
      } of the datagram`,
  });
}

/**
 * Explain the IPv4 header of a datagram: every field, the lengths judged
 * against the bytes (or the length on the wire, for a cut capture), and
 * the header checksum.
 *
 * @param b The explanation.
 * @param decoded The datagram, decoded leniently.
 * @param options `steps` and `wireLength`.
 * @returns The header checksum, worked out (nothing for IPv6).
 */
export function explainIpv4(
  b: Builder,
  decoded: DecodedIp,
  options: ExplainOptions,
): { checksum?: ChecksumWork } {
  const bytes = b.bytes;
  const ip = decoded.ip;
  if (ip.version !== 4) return {};
  const headerLength = decoded.payloadOffset;
  const layer = b.layer("ipv4", "IPv4 header", 0, headerLength);
  b.field(layer, F.version, { meaning: "IPv4" });
  explainIhl(b, layer, ip.ihl);
  b.field(layer, F.dscp, { meaning: dscpMeaning(ip.tos >> 2) });
  b.field(layer, F.ecn, { meaning: ECN_MEANINGS[ip.tos & 3]! });
  const wire = options.wireLength ?? bytes.length;
  explainTotalLength(b, layer, ip, headerLength, wire);
  b.field(layer, F.id, {
    display: `${ip.id} (${hex16(ip.id)})`,
    meaning: F.id.meaning,
  });
  explainFragmentFields(b, layer, ip);
  b.field(layer, F.ttl, {
    meaning: `${plural(ip.ttl, "more hop")} before a router drops it`,
  });
  b.field(layer, F.protocol, { meaning: protocolName(ip.protocol) });
  const checksumField = b.field(layer, F.checksum, {
    display: hex16(ip.checksum),
    meaning: "",
  });
  b.field(layer, F.src, { value: ip.src, meaning: F.src.meaning });
  b.field(layer, F.dst, { value: ip.dst, meaning: F.dst.meaning });
  if (headerLength > F.options.byteOffset) {
    explainIpv4Options(b, layer, headerLength);
  }
  const work = ipv4ChecksumWork(
    b,
    ip.checksum,
    ip.ihl,
    headerLength,
    options.steps ?? false,
  );
  checksumField.meaning = work.verdict;
  if (options.wireLength !== undefined && options.wireLength > bytes.length) {
    b.notes.push(
      `the capture holds ${bytes.length} of the datagram's ${wire} bytes`,
    );
  }
  return { checksum: work };
}
