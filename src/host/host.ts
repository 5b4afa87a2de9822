/**
 * Everything a program needs from the operating system, as one injected
 * object: standard streams, files, clocks, environment, signals and (in
 * {@linkcode Host.net}) raw network access. Code that takes a host touches
 * nothing else, so it stays portable and runs in tests with
 * `createMemoryHost`; the Deno implementation is `ffi/deno_host.ts`.
 *
 * Adding to the host: new capabilities go in as OPTIONAL members, best
 * grouped in a sub-object (`net?: …`), so that existing hosts and fakes
 * keep compiling; code that needs one checks for it and says the host
 * lacks it.
 *
 * @module
 */

import type { TcpConnector } from "./connect.ts";
import type { Net } from "./net.ts";

/** Which standard streams are attached to a terminal. */
export interface TerminalState {
  /** Standard input is a terminal. */
  stdin: boolean;
  /** Standard output is a terminal. */
  stdout: boolean;
  /** Standard error is a terminal. */
  stderr: boolean;
}

/** A monotonic clock and a way to wait: what paced loops take. */
export interface Clock {
  /** A monotonic clock in milliseconds, with sub-millisecond resolution. */
  now(): number;
  /** Wait for a number of milliseconds. */
  sleep(ms: number): Promise<void>;
}

/** A file open for writing, from {@linkcode HostFiles.openWrite}. */
export interface HostFileWriter {
  /**
   * Append bytes. Rejects with an `Error` whose message says why in a few
   * words (`no space left on device`), without the path.
   */
  write(chunk: Uint8Array): Promise<void>;
  /** Flush and close the file (idempotent). */
  close(): Promise<void>;
}

/** Files as streams: what capture input and output need. */
export interface HostFiles {
  /**
   * Create a file (or truncate an existing one) and open it for writing.
   * Rejects like {@linkcode Host.readFile}: a message in a few words,
   * without the path.
   */
  openWrite(path: string): Promise<HostFileWriter>;
  /**
   * Open a file for reading as a stream of chunks, so that a large file is
   * never held whole. Rejects like {@linkcode Host.readFile}.
   */
  openRead(path: string): Promise<ReadableStream<Uint8Array>>;
  /**
   * Open an existing file for writing at `offset`, cutting off what lies
   * past it (a resumed scan appends to its outputs). Rejects like
   * {@linkcode HostFiles.openWrite}, and when the file is shorter than
   * `offset`.
   */
  openAppend?(path: string, offset: number): Promise<HostFileWriter>;
  /**
   * Replace a file's content at once: written to a file beside it, then
   * renamed over it, so a crash leaves the old content or the new, never
   * half of one.
   */
  replace?(path: string, data: Uint8Array): Promise<void>;
  /** Remove a file; a file that is not there is no error. */
  remove?(path: string): Promise<void>;
  /**
   * Open a file, created when missing, that is rewritten whole many times
   * and removed at the end, while the process still may: a command that
   * gives up its privileges afterwards (and may then no longer create,
   * rename or remove files in that directory) keeps working through it.
   * Rejects like {@linkcode HostFiles.openWrite}.
   */
  openKept?(path: string): Promise<HostKeptFile>;
}

/** A file opened by {@linkcode HostFiles.openKept}. */
export interface HostKeptFile {
  /** Whether opening it created it. */
  readonly created: boolean;
  /**
   * Replace the content: written at the start in one call, padded with
   * spaces to the old length, then cut to the new one, so that a process
   * killed at any moment leaves the old content, the new one, or the new
   * one followed by spaces (formats that ignore trailing white space only).
   */
  replace(data: Uint8Array): Promise<void>;
  /**
   * Remove the file and close it: `"removed"`, or `"emptied"` when the
   * directory no longer lets the process remove it (the file is then cut
   * to 0 bytes).
   */
  remove(): Promise<"removed" | "emptied">;
  /** Close the file, leaving it as it is (idempotent). */
  close(): void;
}

/** A permission of the runtime a program may lack (Deno's `--allow-*` flags). */
export interface HostPermissionQuery {
  /** `"ffi"` (the C library), `"net"`, `"read"` or `"write"`. */
  name: "ffi" | "net" | "read" | "write";
  /** The file it is for (`read`, `write`); default every file. */
  path?: string;
  /** The host it is for (`net`); default every host. */
  host?: string;
}

/** The operating-system services a program may use. */
export interface Host extends Clock {
  /** Write text to standard output as is (add the `\n` yourself). */
  stdout(text: string): void;
  /**
   * Optional: write bytes to standard output as they are (output built as
   * bytes, with no string made for it).
   */
  stdoutBytes?(bytes: Uint8Array): void;
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
  /** An environment variable, or undefined when unset or not readable. */
  env(name: string): string | undefined;
  /** The operating system: `"linux"`, `"darwin"`, `"windows"`, … */
  os: string;
  /** Raw sockets and name resolution; absent where the host has none. */
  net?: Net;
  /**
   * Ordinary kernel TCP connections (the connect scan, banners of connect
   * scans): no privileges needed.
   */
  connector?: TcpConnector;
  /** Streaming file reads and file writes; absent where the host has none. */
  files?: HostFiles;
  /**
   * Call `handler` on Ctrl-C (SIGINT) instead of dying; returns a function
   * that removes it. Absent where the host cannot catch signals.
   */
  onInterrupt?(handler: () => void): () => void;
  /**
   * Which of these permissions the runtime withholds, as the flags that
   * would grant them (`["--allow-ffi"]`), in order and once each; asked
   * without prompting. Optional: a host whose runtime grants everything
   * omits it.
   */
  missingPermissions?(queries: readonly HostPermissionQuery[]): string[];
}
