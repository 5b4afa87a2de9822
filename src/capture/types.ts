/**
 * Capture files (classic pcap and pcapng) without libpcap: the record type
 * both formats decode to, link-type numbers, stripping the link layer down
 * to the IP datagram, and readers that sniff the format and stream a file
 * chunk by chunk.
 *
 * Readers keep memory bounded: a record is buffered only up to its declared
 * length, and a declared length past a sane limit is an error, not an
 * allocation. On malformed or truncated input the records before the damage
 * are still delivered, then a {@linkcode DecodeError} names the byte offset
 * and what was expected there.
 *
 * This file holds the types both formats share. The writers live in `pcap.ts` ({@linkcode PcapWriter}) and `pcapng.ts`
 * ({@linkcode PcapngWriter}); both implement {@linkcode CaptureWriter}.
 *
 * @module
 */

/**
 * When a packet was captured: whole seconds since the Unix epoch (UTC) and
 * the nanoseconds within that second.
 *
 * Two plain numbers rather than one bigint of nanoseconds: they are exact for
 * any date a capture file can hold (seconds up to 2^53), print and compare
 * simply, and survive `JSON.stringify`.
 */
export interface CaptureTimestamp {
  /** Whole seconds since 1970-01-01T00:00:00Z (may be negative in theory; files hold 0 or more). */
  seconds: number;
  /** Nanoseconds within the second, an integer in 0..999999999. */
  nanoseconds: number;
}

/**
 * A timestamp as callers give it: epoch milliseconds (as from `Date.now()`,
 * fractions allowed: `1700000000123.456`) or a {@linkcode CaptureTimestamp}.
 */
export type CaptureTimestampInput = number | CaptureTimestamp;

/** Which way a packet went, as pcapng's `epb_flags` records it. */
export type CaptureDirection = "inbound" | "outbound";

/** The two capture-file formats. */
export type CaptureFormat = "pcap" | "pcapng";

/** One packet read from a capture file. */
export interface CaptureRecord {
  /** When the packet was captured. pcapng simple packet blocks carry none: `{ seconds: 0, nanoseconds: 0 }`. */
  timestamp: CaptureTimestamp;
  /** Link-layer header type of `data` (see {@linkcode LINKTYPE}), FCS bits masked off. */
  linkType: number;
  /** pcapng: the interface (index within its section) the packet was captured on. Absent for pcap. */
  interfaceId?: number;
  /** The captured bytes, starting with the link-layer header. Owned by the record (a copy). */
  data: Uint8Array;
  /** The packet's length on the wire; more than `data.length` when the capture was cut at the snapshot length. */
  originalLength: number;
  /** pcapng `opt_comment`; several comments on one packet are joined with "\n". */
  comment?: string;
  /** pcapng `epb_flags` bits 0-1, when they say inbound (1) or outbound (2). */
  direction?: CaptureDirection;
  /** pcapng: the whole `epb_flags` word (or obsolete `pack_flags`), when the block carries one. */
  flags?: number;
  /**
   * Set when the record's original length cannot be right: less than the
   * bytes captured, or more than {@linkcode MAX_ORIGINAL_LENGTH}. The
   * record is delivered all the same, `originalLength` as the file has it;
   * this says what is wrong: `original length 4294967295 at byte 36 is
   * impossible: no link carries a frame of more than 16777216 bytes`.
   */
  lengthProblem?: string;
}

/**
 * The largest original length (length on the wire) a record may declare
 * before it is flagged as impossible: 16 MiB. The longest frames a capture
 * sees are far shorter: 9 KiB jumbo frames, and the 512 KiB a Linux host
 * hands its own capture for one GSO/GRO segment with BIG TCP; IPv6
 * jumbograms could claim more, but no link carries one. A length above
 * this (0xFFFFFFFF, say) is a broken or hostile file.
 */
export const MAX_ORIGINAL_LENGTH = 16 * 1024 * 1024;

/** Limits that keep a reader's memory bounded whatever a file declares. */
export interface ReadCaptureOptions {
  /**
   * Largest captured length of one packet accepted; a record declaring more
   * is a {@linkcode DecodeError}. Default 262144 (libpcap's maximum snapshot
   * length, which tcpdump and Wireshark also enforce). A captured length
   * above the file's own snapshot length but within this limit is accepted,
   * as libpcap and Wireshark accept it (some writers declare snaplen 0).
   */
  maxCaptureLength?: number;
  /**
   * Largest pcapng block that is decoded (and so buffered) whole. Default
   * 16 MiB (Wireshark's limit). Blocks tcpcraft does not decode (name
   * resolution, statistics, custom ...) are skipped as they stream by,
   * whatever their size.
   */
  maxBlockLength?: number;
}

/**
 * An incremental, synchronous capture decoder: push chunks, pull records.
 * {@linkcode PcapDecoder} and {@linkcode PcapngDecoder} implement it.
 */
export interface CaptureDecoder {
  /** Which format this decoder reads. */
  readonly format: CaptureFormat;
  /** Absolute byte offset of the first byte not yet consumed. */
  readonly position: number;
  /** Append the next chunk of the file. */
  push(chunk: Uint8Array): void;
  /** Declare the end of the file: from now on, a partial structure is an error. */
  end(): void;
  /**
   * The next complete record, or `undefined` when more bytes are needed (or,
   * after `end()`, when the file is finished).
   *
   * @throws {DecodeError} When the bytes are malformed, or truncated after `end()`;
   *   every later call throws the same error.
   */
  next(): CaptureRecord | undefined;
}

/** Where a writer sends its chunks: a function (sync or async) or a stream writer. */
export type CaptureSink =
  | ((chunk: Uint8Array) => void | Promise<void>)
  | Pick<WritableStreamDefaultWriter<Uint8Array>, "write">;

/** Per-packet options for {@linkcode CaptureWriter.packet}. */
export interface CapturePacketOptions {
  /** When the packet was captured; default: now (`Date.now()`). */
  timestamp?: CaptureTimestampInput;
  /** Length on the wire; default `data.length`; at least `data.length`. */
  originalLength?: number;
  /** pcapng only (`opt_comment`, UTF-8); classic pcap has no place for it and drops it. */
  comment?: string;
  /** pcapng only (`epb_flags`); classic pcap has no place for it and drops it. */
  direction?: CaptureDirection;
  /**
   * Link type of `data`. pcapng: picks (or adds) the interface for it,
   * default the writer's. pcap: must equal the file's.
   */
  linkType?: number;
}

/**
 * A capture-file writer: a header chunk, then one chunk per packet, either
 * returned (`header()`, `packet()`) or sent to a sink (`write()`, `end()`).
 * Use one style or the other on a given writer, not both.
 */
export interface CaptureWriter {
  /** Which format this writer produces. */
  readonly format: CaptureFormat;
  /** The bytes that start the file. */
  header(): Uint8Array;
  /** The bytes that append one packet to the file. */
  packet(data: Uint8Array, options?: CapturePacketOptions): Uint8Array;
  /**
   * Send one packet to the sink (preceded by the header on the first call);
   * resolves when the sink has accepted it.
   */
  write(data: Uint8Array, options?: CapturePacketOptions): Promise<void>;
  /** Send the header if nothing was written yet, so an empty capture is still a valid file. */
  end(): Promise<void>;
}
