/**
 * A host that keeps everything in memory: for tests, and for embedding
 * programs that run commands without touching the operating system.
 *
 * @module
 */

import type { Host, HostFiles, HostFileWriter, TerminalState } from "./host.ts";

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
export interface MemoryHost extends Host {
  /** Everything written to standard output so far. */
  readonly out: string;
  /** Everything written to standard error so far. */
  readonly err: string;
  /** In-memory files: those given, and those written through `files.openWrite`. */
  files: HostFiles;
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
 * import { createMemoryHost } from "./memory.ts";
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
  const writer = (path: string): Promise<HostFileWriter> => {
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
  };
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
      openAppend(path, offset) {
        const data = files.get(path);
        if (data === undefined) return missing();
        const all = bytes(data);
        if (all.length < offset) {
          return Promise.reject(
            new Error("the file is shorter than its offset"),
          );
        }
        files.set(path, all.slice(0, offset));
        return writer(path);
      },
      openWrite(path) {
        files.set(path, new Uint8Array());
        return writer(path);
      },
      replace(path, data) {
        files.set(path, data.slice());
        return Promise.resolve();
      },
      remove(path) {
        files.delete(path);
        return Promise.resolve();
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
