/**
 * Kernel TCP connections, as the connect scan and the banner grabber see
 * them: a {@linkcode TcpConnector} opens a connection the operating
 * system's way (no raw socket, so no root and no FFI: `ffi/connect.ts`
 * implements it with `Deno.connect`, which needs only `--allow-net`) and
 * says how the attempt ended; an open connection is a {@linkcode
 * ByteStream}: write bytes, read bytes with a deadline, close. A session
 * the library drives by hand over raw sockets can be a `ByteStream` too,
 * so the banner code does not care which it is given.
 *
 * @module
 */

/** Why a connection attempt was refused by the network, in nmap's words. */
export type UnreachableReason =
  | "host-unreach"
  | "net-unreach"
  | "admin-prohibited"
  | "proto-unreach"
  | "dest-unreach";

/** How a connection attempt ended. */
export type ConnectOutcome =
  | {
    /** The handshake completed. */
    kind: "open";
    /** The connection; whoever receives the outcome closes it. */
    stream: ByteStream;
    /** How long the handshake took, ms. */
    rttMs: number;
  }
  | {
    /** A RST answered (or the kernel turned an ICMP port unreachable into one). */
    kind: "refused";
    /** How long the answer took, ms. */
    rttMs: number;
  }
  | {
    /** Nothing answered within the time allowed. */
    kind: "timeout";
  }
  | {
    /** An ICMP error (or the local routing table) said the destination cannot be reached. */
    kind: "unreachable";
    /** Which error, as nmap names it. */
    reason: UnreachableReason;
    /** How long the answer took, ms. */
    rttMs: number;
  };

/** What {@linkcode ByteStream.read} returns. */
export type ReadResult =
  | {
    /** Bytes arrived. */
    kind: "data";
    /** The bytes (at least one). */
    bytes: Uint8Array;
  }
  | {
    /** The peer closed its side; nothing more will come. */
    kind: "end";
  }
  | {
    /** Nothing arrived within the time allowed; the stream is still usable. */
    kind: "timeout";
  };

/** An open, reliable byte stream: a kernel TCP connection or a hand-made session. */
export interface ByteStream {
  /** Send bytes (all of them, or throw). */
  write(bytes: Uint8Array): Promise<void>;
  /** Wait up to `timeoutMs` for bytes. */
  read(timeoutMs: number): Promise<ReadResult>;
  /** Close the stream (idempotent). */
  close(): void;
}

/** Opens kernel TCP connections. */
export interface TcpConnector {
  /**
   * Try to connect.
   *
   * @param address The address, canonical text.
   * @param port The port.
   * @param timeoutMs How long to wait for an answer.
   * @returns How the attempt ended; it throws only when the attempt could
   *   not be made (no permission, no file descriptors left…).
   */
  connect(
    address: string,
    port: number,
    timeoutMs: number,
  ): Promise<ConnectOutcome>;
}
