/**
 * Everything the CLI's commands need from the operating system, as one
 * injected object. Commands in `src/cli/` touch nothing else, so they stay
 * portable and can be run in tests with {@linkcode createMemoryHost}; the
 * Deno implementation is `ffi/deno_host.ts`.
 *
 * Adding to the host: new capabilities (raw sockets, name resolution, file
 * writers, signal handling) go in as OPTIONAL members, best grouped in a
 * sub-object (`net?: …`), so that existing hosts and fakes keep compiling;
 * a command that needs one checks for it and throws a `CliError` saying the
 * host lacks it.
 *
 * @module
 */

/** Which standard streams are attached to a terminal. */
export interface TerminalState {
  /** Standard input is a terminal. */
  stdin: boolean;
  /** Standard output is a terminal. */
  stdout: boolean;
  /** Standard error is a terminal. */
  stderr: boolean;
}

/** A packet read from a raw socket, as {@linkcode CliRawSocket.receive} returns it. */
export interface CliReceivedPacket {
  /**
   * The whole IP datagram (for IPv6, with the fixed header rebuilt from what
   * the kernel reports), or the ICMP message's datagram on an ICMP socket.
   */
  bytes: Uint8Array;
  /** The sender's address, canonical text. */
  source: string;
  /** When the kernel received it, epoch milliseconds (same clock as {@linkcode CliNet.wallClock}). */
  receivedAt: number;
}

/** An open raw socket (the ffi layer's `RawSocket` satisfies this). */
export interface CliRawSocket {
  /** Send one packet (whole datagram in header-included mode, else the TCP segment's packet); returns bytes accepted. */
  send(packet: Uint8Array, destination: string): number;
  /** Send many packets in as few system calls as the OS allows; returns how many were sent. */
  sendMany(packets: Uint8Array[], destination: string): number;
  /** Wait up to `timeoutMs` for packets without blocking the event loop; returns what arrived (maybe nothing). */
  receive(
    options: { timeoutMs: number; maxPackets?: number },
  ): Promise<CliReceivedPacket[]>;
  /** Close the socket (idempotent). */
  close(): void;
}

/** Options for {@linkcode CliNet.openRawSocket}. */
export interface CliRawSocketOptions {
  /** Address family. */
  family: 4 | 6;
  /** We write the IP header (IP_HDRINCL / IPV6_HDRINCL). */
  headerIncluded?: boolean;
  /** 6 (TCP, default), 1 (ICMP) or 58 (ICMPv6); the ICMP ones for receiving errors. */
  protocol?: 6 | 1 | 58;
}

/** What one {@linkcode CliReceiver.poll} read. */
export interface CliReceivedBatch {
  /** From the TCP socket: whole IP datagrams. */
  tcp: CliReceivedPacket[];
  /** From the ICMP (IPv4) or ICMPv6 (IPv6) socket: whole IP datagrams. */
  icmp: CliReceivedPacket[];
}

/**
 * A raw TCP socket and a raw ICMP/ICMPv6 socket of one family, read
 * together (the ffi layer's `Receiver`). Send probes on it: a second raw
 * TCP socket would get a copy of every TCP packet and nobody would read it.
 */
export interface CliReceiver {
  /** Send one packet on the TCP socket (a whole datagram when opened with `headerIncluded`); returns bytes accepted. */
  send(packet: Uint8Array, destination: string): number;
  /** Send many packets on the TCP socket in as few system calls as the OS allows; returns how many were sent. */
  sendMany(packets: Uint8Array[], destination: string): number;
  /**
   * What is queued on either socket, else wait up to `timeoutMs` (one wait
   * for both, off the event loop) and return what arrived (maybe nothing).
   */
  poll(timeoutMs: number): Promise<CliReceivedBatch>;
  /** Close both sockets (idempotent). */
  close(): void;
}

/** Options for {@linkcode CliNet.openReceiver}. */
export interface CliReceiverOptions {
  /** The TCP socket sends whole datagrams, IP header included (default false). */
  headerIncluded?: boolean;
  /** Kernel receive buffer of each socket, bytes (default: the system's). */
  receiveBufferBytes?: number;
}

/** Raw network access: what `send`, `probe`, `scan` and `trace` need. */
export interface CliNet {
  /** Open a raw socket; throws the ffi layer's errors (their messages say what to do). */
  openRawSocket(options: CliRawSocketOptions): CliRawSocket;
  /** The source address the kernel would use to reach `dst`. */
  routeSource(dst: string): string;
  /** Resolve a host name (or pass an address literal through), as the system does. */
  resolveHost(name: string, options?: { family?: 4 | 6 }): Promise<string[]>;
  /** Wall-clock time, epoch milliseconds with fractions. */
  wallClock(): number;
  /**
   * Open a receiver for replies to probes: TCP and ICMP (or ICMPv6) raw
   * sockets of one family. Optional: a host without it cannot run
   * `probe`, `trace` or `scan`.
   */
  openReceiver?(family: 4 | 6, options?: CliReceiverOptions): CliReceiver;
}

/** A file open for writing, from {@linkcode CliFiles.openWrite}. */
export interface CliFileWriter {
  /**
   * Append bytes. Rejects with an `Error` whose message says why in a few
   * words (`no space left on device`), without the path.
   */
  write(chunk: Uint8Array): Promise<void>;
  /** Flush and close the file (idempotent). */
  close(): Promise<void>;
}

/** Files as streams: what `--pcap` input and output need. */
export interface CliFiles {
  /**
   * Create a file (or truncate an existing one) and open it for writing.
   * Rejects like {@linkcode CliHost.readFile}: a message in a few words,
   * without the path.
   */
  openWrite(path: string): Promise<CliFileWriter>;
  /**
   * Open a file for reading as a stream of chunks, so that a large file is
   * never held whole. Rejects like {@linkcode CliHost.readFile}.
   */
  openRead(path: string): Promise<ReadableStream<Uint8Array>>;
}

/** The operating-system services a command may use. */
export interface CliHost {
  /** Write text to standard output as is (add the `\n` yourself). */
  stdout(text: string): void;
  /** Write text to standard error as is (add the `\n` yourself). */
  stderr(text: string): void;
  /**
   * Read a whole file. Rejects with an `Error` whose message says why in a
   * few words (`no such file or directory`), without the path.
   */
  readFile(path: string): Promise<Uint8Array>;
  /** Read standard input to its end. */
  readStdin(): Promise<Uint8Array>;
  /** Which streams are terminals. */
  isTerminal: TerminalState;
  /** A monotonic clock in milliseconds, with sub-millisecond resolution. */
  now(): number;
  /** Wait for a number of milliseconds. */
  sleep(ms: number): Promise<void>;
  /** An environment variable, or undefined when unset or not readable. */
  env(name: string): string | undefined;
  /** The operating system: `"linux"`, `"darwin"`, `"windows"`, … */
  os: string;
  /** Raw sockets and name resolution; absent where the host has none. */
  net?: CliNet;
  /** Streaming file reads and file writes; absent where the host has none. */
  files?: CliFiles;
  /**
   * Call `handler` on Ctrl-C (SIGINT) instead of dying; returns a function
   * that removes it. Absent where the host cannot catch signals.
   */
  onInterrupt?(handler: () => void): () => void;
}

/** What a command needs besides the host. */
export interface CliMeta {
  /** The version printed by `--version`. */
  version: string;
}

/** Initial state for {@linkcode createMemoryHost}. */
export interface MemoryHostOptions {
  /** Files by path. */
  files?: Readonly<Record<string, Uint8Array | string>>;
  /** What standard input holds. */
  stdin?: Uint8Array | string;
  /** Environment variables. */
  env?: Readonly<Record<string, string>>;
  /** Terminal state (default: nothing is a terminal). */
  isTerminal?: Partial<TerminalState>;
  /** The operating system (default `"linux"`). */
  os?: string;
}

/** A host that keeps everything in memory, and what was written to it. */
export interface MemoryHost extends CliHost {
  /** Everything written to standard output so far. */
  readonly out: string;
  /** Everything written to standard error so far. */
  readonly err: string;
  /** In-memory files: those given, and those written through `files.openWrite`. */
  files: CliFiles;
}

/**
 * Create a host for tests and for embedding the CLI: output is collected in
 * `out` and `err`, files and standard input come from the options, the clock
 * is virtual (starts at 0, `sleep` advances it without waiting).
 *
 * @param options Files, standard input, environment, terminal state.
 * @returns The host.
 *
 * @example
 * ```ts
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createMemoryHost({ files: { "a.txt": "hi" } });
 * host.stdout("one\n");
 * assert.equal(host.out, "one\n");
 * assert.deepEqual(await host.readFile("a.txt"), new TextEncoder().encode("hi"));
 * await host.sleep(5);
 * assert.equal(host.now(), 5);
 * await assert.rejects(host.readFile("missing"), /no such file/);
 *
 * const file = await host.files.openWrite("out.bin");
 * await file.write(new Uint8Array([1, 2]));
 * await file.close();
 * assert.deepEqual(await host.readFile("out.bin"), new Uint8Array([1, 2]));
 * ```
 */
export function createMemoryHost(options: MemoryHostOptions = {}): MemoryHost {
  const encoder = new TextEncoder();
  const bytes = (data: Uint8Array | string) =>
    typeof data === "string" ? encoder.encode(data) : data.slice();
  let out = "";
  let err = "";
  let clock = 0;
  const files = new Map<string, Uint8Array | string>(
    Object.entries(options.files ?? {}),
  );
  const env = options.env ?? {};
  const missing = () => Promise.reject(new Error("no such file or directory"));
  return {
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    stdout(text) {
      out += text;
    },
    stderr(text) {
      err += text;
    },
    readFile(path) {
      const data = files.get(path);
      return data === undefined ? missing() : Promise.resolve(bytes(data));
    },
    files: {
      openRead(path) {
        const data = files.get(path);
        if (data === undefined) return missing();
        const all = bytes(data);
        return Promise.resolve(
          new ReadableStream<Uint8Array>({
            start(controller) {
              // Small chunks, so that readers are exercised across boundaries.
              for (let at = 0; at < all.length; at += 4096) {
                controller.enqueue(all.slice(at, at + 4096));
              }
              controller.close();
            },
          }),
        );
      },
      openWrite(path) {
        files.set(path, new Uint8Array());
        let open = true;
        return Promise.resolve({
          write(chunk) {
            if (!open) return Promise.reject(new Error("file is closed"));
            const before = bytes(files.get(path) ?? new Uint8Array());
            const after = new Uint8Array(before.length + chunk.length);
            after.set(before);
            after.set(chunk, before.length);
            files.set(path, after);
            return Promise.resolve();
          },
          close() {
            open = false;
            return Promise.resolve();
          },
        });
      },
    },
    readStdin() {
      return Promise.resolve(bytes(options.stdin ?? new Uint8Array()));
    },
    isTerminal: {
      stdin: options.isTerminal?.stdin ?? false,
      stdout: options.isTerminal?.stdout ?? false,
      stderr: options.isTerminal?.stderr ?? false,
    },
    now() {
      return clock;
    },
    sleep(ms) {
      clock += Math.max(0, ms);
      return Promise.resolve();
    },
    env(name) {
      return Object.hasOwn(env, name) ? env[name] : undefined;
    },
    os: options.os ?? "linux",
  };
}
