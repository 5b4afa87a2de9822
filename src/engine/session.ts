/**
 * Hand-made TCP sessions: the three-way handshake done with our own
 * sequence numbers and options, then data both ways, then FIN or RST,
 * every segment built by tcpcraft and sent on a raw socket (what banner
 * grabbing and "send data inside a crafted connection" need).
 *
 * What it does, the simple way:
 * - Handshake: a SYN (our ISN, our options: default MSS 1460) sent again
 *   after `rtoMs`, doubling, until `timeoutMs`; the SYN-ACK is found by
 *   the reply matcher's rules, a RST is `refused`, an ICMP error about the
 *   SYN is `unreachable`. Then our ACK.
 * - Sending: data cut to the peer's MSS, sent within the peer's window
 *   (scaled when both sides offered window scale), PSH on the last
 *   segment; everything not acknowledged after a retransmission timeout is
 *   sent again from the oldest byte (go-back-N), the timeout doubling, up
 *   to `retries` times. A window of zero is probed with one byte per
 *   timeout; if it stays zero for `timeoutMs`, sends fail with
 *   `zero-window`.
 * - Receiving: data delivered in order; a segment ahead of the next byte
 *   is held (within our window, 256 segments at most) until the gap fills;
 *   old and duplicate segments are dropped and acknowledged again;
 *   duplicate ACKs are ignored (no fast retransmit). Every batch of
 *   segments that carried data is acknowledged at once (no delayed ACK).
 *   Our window is what is left of `window` after the bytes not read yet,
 *   and a window update is sent when reading reopens it.
 * - The end: `close()` sends FIN and waits for its ACK and the peer's FIN,
 *   which it acknowledges (after `timeoutMs` without them, the session is
 *   reset instead); `abort()` sends RST+ACK. A RST from the peer (in the
 *   window) fails the session with `reset`.
 *
 * The kernel does not know the connection, so it answers the peer's
 * SYN-ACK and every later segment with a RST. `dropKernelResets: true`
 * asks the network to hold those back for exactly this flow
 * (`Net.holdKernelResets`: an nftables rule of the process's own, removed
 * when the session ends, see `ffi/resets.ts`); without it the peer will
 * most likely see the kernel's RST and the session fail with `reset`.
 *
 * Every resource (the receiver, the hold) is released when the session
 * ends: closed, aborted, failed, or on the signal.
 *
 * @module
 */

import type { NetReceiver, NetResetHold, ReceiverNet } from "../host/net.ts";
import { TCP_FLAGS } from "../wire/flags.ts";
import {
  type DecodedTcpPacket,
  decodePacket,
  encodePacket,
  makeTcpPacket,
} from "../wire/packet.ts";
import { DecodeError } from "../wire/errors.ts";
import { Receiving, SendBuffer, seqAdd, seqDiff } from "./_session_buffers.ts";
import {
  establish,
  type Established,
  type Flow,
  type OpenSessionOptions,
  SessionError,
  type SessionState,
  TICK,
  type Tuning,
} from "./_session_open.ts";

export {
  type OpenSessionOptions,
  SessionError,
  type SessionErrorKind,
  type SessionSegment,
  type SessionState,
} from "./_session_open.ts";

/**
 * A TCP session made by hand; see the module documentation. Open it with
 * {@linkcode TcpSession.open}; read it with `for await`; end it with
 * `close()` or `abort()` (or `await using`).
 *
 * @example On a fake peer that answers the SYN, then closes at once
 * ```ts
 * import { decodePacket, encodePacket, makeTcpPacket, TCP_FLAGS, TcpSession } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const { syn, ack, fin } = TCP_FLAGS;
 * let queued: Uint8Array[] = [];
 * const reply = (seq: number, ackNumber: number, flags: number, data = "") =>
 *   queued.push(encodePacket(makeTcpPacket({
 *     src: "192.0.2.1", dst: "192.0.2.42", srcPort: 80, dstPort: 40000, seq, ack: ackNumber,
 *     flags, window: 64240, payload: new TextEncoder().encode(data),
 *   })));
 * const net = {
 *   openRawSocket: () => { throw new Error("unused"); },
 *   routeSource: () => "192.0.2.42",
 *   resolveHost: (name: string) => Promise.resolve([name]),
 *   wallClock: () => 0,
 *   openReceiver: () => ({
 *     send(bytes: Uint8Array) {
 *       const { tcp } = decodePacket(bytes);
 *       if (tcp.flags === syn) reply(500, tcp.seq + 1, syn | ack);
 *       else if (tcp.payload.length > 0) {
 *         reply(501, tcp.seq + tcp.payload.length, ack | fin, "hello");
 *       } else if ((tcp.flags & fin) !== 0) reply(507, tcp.seq + 1, ack);
 *       return bytes.length;
 *     },
 *     sendMany: () => 0,
 *     close() {},
 *     poll: () => {
 *       const tcp = queued.map((bytes) => ({ bytes, source: "192.0.2.1", receivedAt: 0 }));
 *       queued = [];
 *       return Promise.resolve({ tcp, icmp: [] });
 *     },
 *   }),
 * };
 * const session = await TcpSession.open(net, { dst: "192.0.2.1", dstPort: 80, srcPort: 40000 });
 * await session.send("hi");
 * assert.equal(new TextDecoder().decode(await session.readAll()), "hello");
 * await session.close();
 * assert.equal(session.state, "closed");
 * ```
 */
export class TcpSession implements AsyncIterable<Uint8Array>, AsyncDisposable {
  /** Our address and port. */
  readonly local: { address: string; port: number };
  /** The peer's address and port. */
  readonly remote: { address: string; port: number };
  /** Our initial sequence number. */
  readonly isn: number;
  /** The peer's initial sequence number. */
  readonly peerIsn: number;
  /** The peer's MSS (536 when its SYN-ACK had none). */
  readonly peerMss: number;
  /** What holds the kernel's resets back, when asked for. */
  readonly holdDescription: string | undefined;
  readonly #flow: Flow;
  readonly #receiver: NetReceiver;
  readonly #hold: NetResetHold | undefined;
  readonly #tuning: Tuning;
  readonly #sendShift: number;
  readonly #receiveShift: number;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => void this.#fail(this.#abortError(), true);
  #state: SessionState = "established";
  // Sending.
  #sndUna: number;
  #sndNxt: number;
  #sndWnd: number;
  readonly #outgoing = new SendBuffer();
  #finQueued = false;
  #finSent = false;
  #finAcked = false;
  #timer: number | undefined;
  #rto: number;
  #tries = 0;
  #zeroSince: number | undefined;
  #sendWaiters: {
    end: number;
    resolve: () => void;
    reject: (e: unknown) => void;
  }[] = [];
  // Receiving.
  readonly #in: Receiving;
  #windowClosed = false;
  #readWaiter: (() => void) | undefined;
  #reading = false;
  // The end.
  #error: SessionError | undefined;
  #closeWaiter: (() => void) | undefined;
  #ipId = 1;
  #released: Promise<void> | undefined;
  readonly #pump: Promise<void>;

  private constructor(
    parts: Established,
  ) {
    const { flow, synAck } = parts;
    this.#flow = flow;
    this.#receiver = parts.receiver;
    this.#hold = parts.hold;
    this.#tuning = parts.tuning;
    this.local = { address: flow.local, port: flow.localPort };
    this.remote = { address: flow.remote, port: flow.remotePort };
    this.isn = parts.isn;
    this.peerIsn = synAck.tcp.seq;
    const mss = synAck.tcp.options.find((o) => o.kind === "mss");
    this.peerMss = mss?.kind === "mss" && mss.value > 0 ? mss.value : 536;
    this.holdDescription = parts.hold?.description;
    this.#sendShift = parts.sendShift;
    this.#receiveShift = parts.receiveShift;
    this.#sndUna = this.#sndNxt = seqAdd(parts.isn, 1);
    // The window of a SYN-ACK is never scaled (RFC 7323).
    this.#sndWnd = synAck.tcp.window;
    this.#in = new Receiving(seqAdd(synAck.tcp.seq, 1), parts.tuning.window);
    this.#rto = parts.tuning.rtoMs;
    this.#signal = parts.signal;
    this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
    this.#segment(TCP_FLAGS.ack);
    this.#pump = this.#run();
  }

  /**
   * Open a session: resolve the peer, find our address, hold the kernel's
   * resets back when asked, open a receiver, and do the handshake.
   *
   * @param net The network (with `holdKernelResets` for `dropKernelResets`).
   * @param options The peer, our numbers and options, the timing.
   * @returns The established session.
   * @throws {RangeError} For options out of range (nothing is opened).
   * @throws {SessionError} `refused`, `timeout`, `unreachable`, `aborted`;
   *   everything opened is released.
   * @throws What the network throws (no privilege; no `nft` for
   *   `dropKernelResets`, in one line).
   */
  static async open(
    net: ReceiverNet,
    options: OpenSessionOptions,
  ): Promise<TcpSession> {
    return new TcpSession(await establish(net, options));
  }

  /** Where the session is: `established`, `closing` (FIN queued), `closed`. */
  get state(): SessionState {
    return this.#state;
  }

  /**
   * Send bytes (text as UTF-8) and resolve when the peer has acknowledged
   * them all.
   *
   * @param data The bytes.
   * @returns When they are acknowledged.
   * @throws {SessionError} `closed` after `close()` or `abort()`; the
   *   session's failure (`reset`, `timeout`, `zero-window`) when it fails.
   */
  send(data: Uint8Array | string): Promise<void> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#state !== "established") {
      return Promise.reject(
        new SessionError(
          "Cannot send: the session is closing or closed",
          "closed",
        ),
      );
    }
    const bytes = typeof data === "string"
      ? new TextEncoder().encode(data)
      : data;
    if (bytes.length === 0) return Promise.resolve();
    this.#outgoing.push(bytes);
    const end = seqAdd(this.#sndUna, this.#outgoing.length);
    const done = new Promise<void>((resolve, reject) => {
      this.#sendWaiters.push({ end, resolve, reject });
    });
    this.#transmit();
    return done;
  }

  /**
   * The data the peer sent, in order, as it comes; ends at the peer's FIN
   * (or when the session is closed or aborted here).
   *
   * @returns The iterator (one reader at a time).
   * @throws {SessionError} From the iteration: `reset`, `timeout`… when
   *   the session fails; `closed` for a second reader.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    if (this.#reading) {
      throw new SessionError(
        "Cannot read: the session is being read already",
        "closed",
      );
    }
    this.#reading = true;
    try {
      while (true) {
        const chunk = this.#in.read();
        if (chunk !== undefined) {
          if (this.#windowClosed && this.#state !== "closed") {
            this.#windowClosed = false;
            this.#segment(TCP_FLAGS.ack); // window update
          }
          yield chunk;
          continue;
        }
        if (this.#error !== undefined && this.#error.kind !== "closed") {
          throw this.#error;
        }
        if (this.#in.finished || this.#state === "closed") return;
        await new Promise<void>((resolve) => this.#readWaiter = resolve);
      }
    } finally {
      this.#reading = false;
    }
  }

  /**
   * Read everything until the peer's FIN.
   *
   * @returns The bytes.
   * @throws {SessionError} As the iteration.
   */
  async readAll(): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of this) chunks.push(chunk);
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  /**
   * Close: FIN after the data queued, then wait for its acknowledgment and
   * the peer's FIN (acknowledged). After `timeoutMs` without them the
   * session is reset instead. Everything is released at the end.
   *
   * @returns When the session is closed.
   * @throws {SessionError} The session's failure, when it failed first.
   */
  async close(): Promise<void> {
    if (this.#state === "closed") {
      await this.#released;
      if (this.#error !== undefined && this.#error.kind !== "closed") {
        throw this.#error;
      }
      return;
    }
    if (!this.#finQueued) {
      this.#finQueued = true;
      this.#state = "closing";
      this.#transmit();
    }
    const deadline = this.#tuning.clock.now() + this.#tuning.timeoutMs;
    while (
      !(this.#finAcked && this.#in.finished) && this.#error === undefined
    ) {
      if (this.#tuning.clock.now() >= deadline) {
        await this.#fail(
          new SessionError(
            "Cannot close: the peer did not finish within the time allowed; reset",
            "timeout",
          ),
          true,
        );
        return;
      }
      await new Promise<void>((resolve) => {
        this.#closeWaiter = resolve;
        setTimeout(resolve, TICK);
      });
    }
    if (this.#error !== undefined && this.#error.kind !== "closed") {
      await this.#release();
      throw this.#error;
    }
    await this.#fail(
      new SessionError("The session is closed", "closed"),
      false,
    );
  }

  /**
   * Abort: RST+ACK, then release everything. Pending sends fail with
   * `closed`; a read under way ends.
   *
   * @returns When everything is released.
   */
  async abort(): Promise<void> {
    if (this.#state === "closed") return void await this.#released;
    await this.#fail(
      new SessionError("The session was aborted", "closed"),
      true,
    );
  }

  /** Abort, unless closed already (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.abort();
  }

  #abortError(): SessionError {
    return new SessionError(
      "The session was aborted by its signal",
      "aborted",
      {
        cause: this.#signal?.reason,
      },
    );
  }

  /** Build, send and report one segment. */
  #segment(flags: number, seq = this.#sndNxt, payload?: Uint8Array): void {
    const flow = this.#flow;
    const window = this.#in.window;
    if (window === 0) this.#windowClosed = true;
    const packet = makeTcpPacket({
      src: flow.local,
      dst: flow.remote,
      srcPort: flow.localPort,
      dstPort: flow.remotePort,
      seq,
      ack: (flags & TCP_FLAGS.ack) !== 0 ? this.#in.next : 0,
      flags,
      window: Math.min(0xffff, window >> this.#receiveShift),
      payload,
      ttl: this.#tuning.ttl,
      ...(flow.family === 4
        ? { id: this.#ipId++ & 0xffff, dontFragment: true }
        : {}),
    });
    const bytes = encodePacket(packet);
    this.#receiver.send(bytes, flow.remote);
    this.#report("sent", bytes);
  }

  #report(
    direction: "sent" | "received",
    bytes: Uint8Array,
    packet?: DecodedTcpPacket,
  ): void {
    const onSegment = this.#tuning.onSegment;
    if (onSegment === undefined) return;
    onSegment({
      direction,
      bytes,
      packet: packet ?? decodePacket(bytes, { lenient: true }),
    });
  }

  /** Send what the window allows, and the FIN after the data. */
  #transmit(): void {
    if (this.#error !== undefined) return;
    const mss = Math.min(this.peerMss, this.#flow.family === 4 ? 1460 : 1440);
    const buffered = this.#outgoing.length;
    let offset = seqDiff(this.#sndNxt, this.#sndUna) -
      (this.#finSent && !this.#finAcked ? 1 : 0);
    // A zero window is probed with one byte once nothing is in flight.
    const window = this.#sndWnd === 0 && offset === 0 ? 1 : this.#sndWnd;
    let sent = false;
    while (offset < buffered && offset < window) {
      const length = Math.min(mss, buffered - offset, window - offset);
      const last = offset + length === buffered;
      this.#segment(
        TCP_FLAGS.ack | (last ? TCP_FLAGS.psh : 0),
        seqAdd(this.#sndUna, offset),
        this.#outgoing.slice(offset, offset + length),
      );
      offset += length;
      this.#sndNxt = seqAdd(this.#sndUna, offset);
      sent = true;
    }
    if (this.#finQueued && !this.#finSent && offset === buffered) {
      this.#segment(TCP_FLAGS.fin | TCP_FLAGS.ack, this.#sndNxt);
      this.#sndNxt = seqAdd(this.#sndNxt, 1);
      this.#finSent = true;
      sent = true;
    }
    if (sent && this.#timer === undefined) {
      this.#timer = this.#tuning.clock.now() + this.#rto;
    }
  }

  /** The session's loop: read, handle, time out; until it ends. */
  async #run(): Promise<void> {
    try {
      while (!this.#isClosed()) {
        const batch = await this.#receiver.poll(TICK);
        if (this.#isClosed()) break;
        let answer = false;
        for (const packet of batch.tcp) {
          if (this.#handle(packet.bytes)) answer = true;
          if (this.#error !== undefined) break;
        }
        if (this.#error !== undefined) break;
        if (answer) this.#segment(TCP_FLAGS.ack);
        this.#transmit();
        this.#expire();
        this.#wake();
      }
    } catch (error) {
      // A receiver closed under a read is how the session ends, not a failure.
      if (this.#isClosed()) return;
      // Not awaited: the release waits for this loop to end.
      void this.#fail(
        error instanceof SessionError ? error : new SessionError(
          `The session failed: ${(error as Error).message}`,
          "closed",
          { cause: error },
        ),
        false,
      );
    }
  }

  #isClosed(): boolean {
    return this.#state === "closed";
  }

  /** Handle one datagram; returns whether it needs an acknowledgment. */
  #handle(bytes: Uint8Array): boolean {
    let packet: DecodedTcpPacket;
    try {
      packet = decodePacket(bytes, { lenient: true });
    } catch (error) {
      if (error instanceof DecodeError) return false;
      throw error;
    }
    const { ip, tcp } = packet;
    const flow = this.#flow;
    if (
      ip.src !== flow.remote || ip.dst !== flow.local ||
      tcp.srcPort !== flow.remotePort || tcp.dstPort !== flow.localPort
    ) return false;
    this.#report("received", bytes, packet);
    const window = Math.max(1, this.#tuning.window);
    if ((tcp.flags & TCP_FLAGS.rst) !== 0) {
      const inWindow = seqDiff(tcp.seq, this.#in.next) >= 0 &&
        seqDiff(tcp.seq, this.#in.next) < window;
      if (inWindow) {
        void this.#fail(
          new SessionError(
            `The peer reset the connection${
              this.#hold === undefined
                ? " (this host's kernel may have reset it first: open the session with dropKernelResets: true)"
                : ""
            }`,
            "reset",
          ),
          false,
        );
      }
      return false;
    }
    if ((tcp.flags & TCP_FLAGS.syn) !== 0) return true; // our ACK was lost
    if ((tcp.flags & TCP_FLAGS.ack) !== 0) {
      this.#acknowledged(tcp.ack, tcp.window);
    }
    return this.#in.receive(
      tcp.seq,
      tcp.payload,
      (tcp.flags & TCP_FLAGS.fin) !== 0,
    );
  }

  #acknowledged(ack: number, window: number): void {
    const advance = seqDiff(ack, this.#sndUna);
    if (advance < 0 || seqDiff(ack, this.#sndNxt) > 0) return; // old, or ahead of us
    this.#sndWnd = window << this.#sendShift;
    if (this.#sndWnd > 0) this.#zeroSince = undefined;
    else this.#zeroSince ??= this.#tuning.clock.now();
    if (advance === 0) return; // a duplicate or a window update
    const dataAcked = Math.min(advance, this.#outgoing.length);
    this.#outgoing.drop(dataAcked);
    if (this.#finSent && ack === this.#sndNxt) this.#finAcked = true;
    this.#sndUna = ack;
    this.#tries = 0;
    this.#rto = this.#tuning.rtoMs;
    this.#timer = this.#sndUna === this.#sndNxt
      ? undefined
      : this.#tuning.clock.now() + this.#rto;
    const done = this.#sendWaiters.filter((w) => seqDiff(w.end, ack) <= 0);
    this.#sendWaiters = this.#sendWaiters.filter((w) =>
      seqDiff(w.end, ack) > 0
    );
    for (const waiter of done) waiter.resolve();
  }

  /** Retransmission and zero-window timers. */
  #expire(): void {
    const now = this.#tuning.clock.now();
    if (
      this.#zeroSince !== undefined && this.#outgoing.length > 0 &&
      now - this.#zeroSince >= this.#tuning.timeoutMs
    ) {
      void this.#fail(
        new SessionError(
          `Cannot send: the peer's window stayed zero for ${this.#tuning.timeoutMs} ms`,
          "zero-window",
        ),
        true,
      );
      return;
    }
    if (this.#timer === undefined || now < this.#timer) return;
    if (this.#zeroSince === undefined && ++this.#tries > this.#tuning.retries) {
      void this.#fail(
        new SessionError(
          `The peer acknowledged nothing after ${this.#tuning.retries} retransmissions`,
          "timeout",
        ),
        true,
      );
      return;
    }
    // Go back to the oldest byte not acknowledged and send it all again.
    this.#sndNxt = this.#sndUna;
    if (!this.#finAcked) this.#finSent = false;
    this.#rto = Math.min(this.#rto * 2, this.#tuning.timeoutMs);
    this.#timer = undefined;
    this.#transmit();
  }

  #wake(): void {
    this.#readWaiter?.();
    this.#readWaiter = undefined;
    this.#closeWaiter?.();
    this.#closeWaiter = undefined;
  }

  /** End the session: record why, reset it if asked, release everything. */
  async #fail(error: SessionError, reset: boolean): Promise<void> {
    if (this.#state === "closed") return await this.#released;
    this.#error ??= error;
    if (reset) {
      try {
        this.#segment(TCP_FLAGS.rst | TCP_FLAGS.ack, this.#sndNxt);
      } catch {
        // The reset is a courtesy; releasing matters more.
      }
    }
    this.#state = "closed";
    const failure =
      this.#error.kind === "closed" || this.#error.kind === "aborted"
        ? new SessionError("Cannot send: the session is closed", "closed")
        : this.#error;
    for (const waiter of this.#sendWaiters) waiter.reject(failure);
    this.#sendWaiters = [];
    this.#wake();
    await this.#release();
  }

  #release(): Promise<void> {
    this.#released ??= (async () => {
      this.#signal?.removeEventListener("abort", this.#onAbort);
      this.#receiver.close();
      await this.#pump?.catch(() => {});
      await this.#hold?.release();
    })();
    return this.#released;
  }
}
