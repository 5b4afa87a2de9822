/**
 * TCP options explained one by one, walked byte by byte so that each keeps
 * its offset: names, values, meanings and length rules come from the
 * option registry. Private to the explainer.
 *
 * @module
 */

import { DecodeError } from "../wire/errors.ts";
import { formatHex } from "../wire/hex.ts";
import { TCP_HEADER_FIELDS } from "../wire/tcp_fields.ts";
import {
  expectedLength,
  type TcpOptionEntry,
} from "../wire/tcp_option_entry.ts";
import {
  decodeTcpOptions,
  type TcpOption,
  tcpOptionEntry,
  tcpOptionEntryOfKind,
  tcpOptionType,
} from "../wire/tcp_options.ts";
import { plural } from "../wire/text.ts";
import { type Builder, byteSpan } from "./_builder.ts";
import type { ExplainedLayer } from "./types.ts";

/** A TCP header being explained: where it is and how far its options go. */
export interface OptionArea {
  /** The layer the option fields go in. */
  layer: ExplainedLayer;
  /** The segment. */
  segment: Uint8Array;
  /** Offset of the segment in the explained bytes. */
  base: number;
  /** Where the header, and so the option area, ends in the segment. */
  headerEnd: number;
  /** Whether the segment is a SYN. */
  syn: boolean;
}

/** The name of a decoded option, for a list: `MSS`, `Kind 99`. */
function optionName(option: TcpOption): string {
  return tcpOptionEntry(option).explanation.label(tcpOptionType(option))[0];
}

/** The bytes after an end-of-list option at `p`: padding, or not. */
function explainAfterEndOfList(b: Builder, area: OptionArea, p: number): void {
  const { layer, segment, base, headerEnd } = area;
  const rest = segment.subarray(p + 1, headerEnd);
  if (rest.length === 0) return;
  const zero = rest.every((byte) => byte === 0);
  let meaning = zero
    ? "zero bytes that fill the header to a multiple of 4"
    : "not zero: bytes after the end of the option list, which receivers ignore";
  if (!zero) {
    const after = decodeTcpOptions(rest, { lenient: true, offset: p + 1 })
      .options.filter((option) => {
        const entry = tcpOptionEntry(option);
        return entry.length.form !== "verbatim" && !entry.endsList;
      });
    if (after.length > 0) {
      meaning += `; they read as ${after.map(optionName).join(", ")}`;
    }
    b.anomaly(
      "options-after-eol",
      `${
        plural(rest.length, "byte")
      } after the end-of-list option at byte ${p} are not zero: options after EOL are ignored by receivers, and a firewall or IDS may read them differently`,
      base + p + 1,
      "padding",
    );
  }
  b.field(
    layer,
    zero
      ? byteSpan("padding", "Padding", "Pad", p + 1, rest.length)
      : byteSpan("padding", "After EOL", "AfterEOL", p + 1, rest.length),
    { meaning },
  );
}

/**
 * Why the option at `p` cannot be parsed (no length byte, a length under
 * 2, a length past the option area), or undefined when it can.
 */
function malformation(
  area: OptionArea,
  p: number,
  label: string,
): string | undefined {
  const { segment, headerEnd } = area;
  const length = p + 1 < headerEnd ? segment[p + 1]! : undefined;
  if (length === undefined) {
    return `${label} at byte ${p} has no length byte: the option area ends at byte ${headerEnd}`;
  }
  if (length < 2) {
    return `${label} at byte ${p} has length ${length}: a length counts the kind and length bytes, so it is at least 2`;
  }
  if (p + length > headerEnd) {
    return `${label} at byte ${p} has length ${length}, past the end of the option area at byte ${headerEnd}`;
  }
  return undefined;
}

/** An option whose length is wrong for its kind, as one field. */
function explainBadLength(
  b: Builder,
  area: OptionArea,
  p: number,
  entry: TcpOptionEntry<TcpOption>,
): void {
  const { layer, segment, base } = area;
  const kind = segment[p]!;
  const length = segment[p + 1]!;
  const [name, abbreviation] = entry.explanation.label(kind);
  const expected = expectedLength(entry.length) ?? "another length";
  b.anomaly(
    "option-length",
    `option ${name} (kind ${kind}) at byte ${p} has length ${length}, but its length is ${expected}`,
    base + p,
    `option.${kind}`,
  );
  b.field(
    layer,
    byteSpan(
      `option.${kind}`,
      `Option: ${name} (bad length)`,
      `${abbreviation}?`,
      p,
      length,
    ),
    {
      value: formatHex(segment.subarray(p, p + length)),
      meaning:
        `kind ${kind}, length ${length}: wrong for this kind (${expected})`,
    },
  );
}

/** A well-formed option of two or more bytes, as one field. */
function explainOption(
  b: Builder,
  area: OptionArea,
  p: number,
  option: TcpOption,
): void {
  const { layer, segment, base } = area;
  const kind = segment[p]!;
  const length = segment[p + 1]!;
  const entry = tcpOptionEntry(option);
  const [name, abbreviation] = entry.explanation.label(kind);
  const shown = entry.explanation.words(option);
  let meaning = `kind ${kind}, length ${length}: ${shown.meaning}`;
  if (entry.explanation.synOnly && !area.syn) {
    meaning += "; only meaningful in a SYN, ignored here";
  }
  const key = `option.${option.kind}`;
  for (const anomaly of entry.anomalies?.(option, p) ?? []) {
    b.anomaly(anomaly.code, anomaly.message, base + p, key);
  }
  b.field(layer, byteSpan(key, `Option: ${name}`, abbreviation, p, length), {
    value: shown.value,
    display: shown.display,
    meaning,
    option,
  });
}

/**
 * Explain the option area of a TCP header, one field per option: one-byte
 * options, options of two or more bytes (or the bytes of one that cannot
 * be parsed, which end the walk), and what follows an end-of-list option.
 *
 * @param b The explanation.
 * @param area The header and where its options end.
 */
export function explainOptions(b: Builder, area: OptionArea): void {
  const { layer, segment, base, headerEnd } = area;
  let p = TCP_HEADER_FIELDS.options.byteOffset;
  while (p < headerEnd) {
    const kind = segment[p]!;
    const entry = tcpOptionEntryOfKind(kind);
    const [name, abbreviation] = entry.explanation.label(kind);
    if (entry.length.form === "single") {
      const option = entry.decode(segment.subarray(p + 1, p + 1), kind);
      b.field(
        layer,
        byteSpan(
          `option.${option.kind}`,
          `Option: ${name}`,
          abbreviation,
          p,
          1,
        ),
        {
          display: "",
          meaning: entry.explanation.words(option).meaning,
          option,
        },
      );
      if (entry.endsList) return explainAfterEndOfList(b, area, p);
      p++;
      continue;
    }
    const problem = malformation(area, p, `option ${name} (kind ${kind})`);
    if (problem !== undefined) {
      b.anomaly("option-length", problem, base + p, "option.malformed");
      b.field(
        layer,
        byteSpan(
          "option.malformed",
          `Option: ${name} (malformed)`,
          `${abbreviation}?`,
          p,
          headerEnd - p,
        ),
        {
          value: formatHex(segment.subarray(p, headerEnd)),
          meaning: `cannot be parsed: ${
            problem.replace(/^option .*? at byte \d+ /, "")
          }; receivers stop reading options here`,
        },
      );
      return;
    }
    const end = p + segment[p + 1]!;
    let option: TcpOption | undefined;
    try {
      option = decodeTcpOptions(segment.subarray(p, end), { offset: p })
        .options[0];
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
    }
    if (option === undefined) explainBadLength(b, area, p, entry);
    else explainOption(b, area, p, option);
    p = end;
  }
}
