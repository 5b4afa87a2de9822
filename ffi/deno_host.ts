/**
 * The Deno implementation of the CLI's host (`src/cli/host.ts`): standard
 * streams, files, clock and environment through `Deno.*`.
 *
 * Permissions: reading a file needs `--allow-read`, writing one (`--pcap`)
 * `--allow-write`; environment variables
 * are read only when `--allow-env` grants them (never prompting), and
 * otherwise count as unset.
 *
 * @module
 */

import type { CliFiles, CliHost, CliNet } from "../src/cli/host.ts";
import { epochNow, RawSocket } from "./raw_socket.ts";
import { Receiver } from "./receiver.ts";
import { resolveHost } from "./resolve.ts";
import { routeSource } from "./route.ts";

const encoder = new TextEncoder();

function writeAll(
  stream: typeof Deno.stdout | typeof Deno.stderr,
  text: string,
) {
  const bytes = encoder.encode(text);
  let written = 0;
  try {
    while (written < bytes.length) {
      written += stream.writeSync(bytes.subarray(written));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    // The reader went away (`tcpcraft scan … | head -3`): stop, as a Unix
    // tool killed by SIGPIPE does (exit status 128 + 13), instead of going
    // on producing output nobody reads. A closed standard error is ignored.
    if (stream === Deno.stdout) Deno.exit(141);
  }
}

/** A file error in a few words, without the path, as `CliHost.readFile` promises. */
function describeFileError(error: unknown, access = "read"): string {
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotCapable) {
    return `no permission to ${access} it (run deno with --allow-${access})`;
  }
  if (error instanceof Deno.errors.IsADirectory) return "it is a directory";
  if (error instanceof Error) {
    return error.message.replace(/ \(os error \d+\).*$/, "");
  }
  return String(error);
}

function isTerminal(stream: { isTerminal(): boolean }): boolean {
  try {
    return stream.isTerminal();
  } catch {
    return false;
  }
}

/**
 * Raw sockets and name resolution through the ffi layer. Nothing is loaded
 * until a member is called; errors are the ffi layer's typed errors, whose
 * messages say what to do (`--allow-ffi`, root or `cap_net_raw`).
 */
const denoNet: CliNet = {
  openRawSocket(options) {
    return RawSocket.open(options);
  },
  routeSource(dst) {
    return routeSource(dst);
  },
  resolveHost(name, options) {
    return resolveHost(name, options);
  },
  wallClock() {
    return epochNow();
  },
  openReceiver(family, options = {}) {
    const receiver = Receiver.open({ family, ...options });
    return {
      send: (packet, destination) => receiver.tcp.send(packet, destination),
      sendMany: (packets, destination) =>
        receiver.tcp.sendMany(packets, destination),
      poll: (timeoutMs) => receiver.poll(timeoutMs),
      close: () => receiver.close(),
    };
  },
};

/** Streaming reads and writes through `Deno.open`. */
const denoFiles: CliFiles = {
  async openRead(path) {
    try {
      const info = await Deno.stat(path);
      if (info.isDirectory) throw new Deno.errors.IsADirectory(path);
      return (await Deno.open(path, { read: true })).readable;
    } catch (error) {
      throw new Error(describeFileError(error), { cause: error });
    }
  },
  async openWrite(path) {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, {
        write: true,
        create: true,
        truncate: true,
      });
    } catch (error) {
      throw new Error(describeFileError(error, "write"), { cause: error });
    }
    let open = true;
    return {
      async write(chunk) {
        try {
          let written = 0;
          while (written < chunk.length) {
            written += await file.write(chunk.subarray(written));
          }
        } catch (error) {
          throw new Error(describeFileError(error, "write"), { cause: error });
        }
      },
      close() {
        if (open) {
          open = false;
          file.close();
        }
        return Promise.resolve();
      },
    };
  },
};

/**
 * Create the host the CLI runs with under Deno.
 *
 * @returns The host.
 *
 * @example
 * ```ts
 * import { createDenoHost } from "./deno_host.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createDenoHost();
 * assert.equal(host.os, Deno.build.os);
 * assert.ok(host.now() >= 0);
 * ```
 */
export function createDenoHost(): CliHost {
  return {
    stdout(text) {
      writeAll(Deno.stdout, text);
    },
    stderr(text) {
      writeAll(Deno.stderr, text);
    },
    async readFile(path) {
      try {
        const info = await Deno.stat(path);
        if (info.isDirectory) throw new Deno.errors.IsADirectory(path);
        return await Deno.readFile(path);
      } catch (error) {
        throw new Error(describeFileError(error), { cause: error });
      }
    },
    async readStdin() {
      const chunks: Uint8Array[] = [];
      let total = 0;
      const buffer = new Uint8Array(65536);
      while (true) {
        const n = await Deno.stdin.read(buffer);
        if (n === null) break;
        chunks.push(buffer.slice(0, n));
        total += n;
      }
      const all = new Uint8Array(total);
      let at = 0;
      for (const chunk of chunks) {
        all.set(chunk, at);
        at += chunk.length;
      }
      return all;
    },
    isTerminal: {
      stdin: isTerminal(Deno.stdin),
      stdout: isTerminal(Deno.stdout),
      stderr: isTerminal(Deno.stderr),
    },
    now() {
      return performance.now();
    },
    sleep(ms) {
      return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
    },
    env(name) {
      const state = Deno.permissions.querySync({ name: "env", variable: name })
        .state;
      return state === "granted" ? Deno.env.get(name) : undefined;
    },
    os: Deno.build.os,
    net: denoNet,
    files: denoFiles,
    onInterrupt(handler) {
      try {
        Deno.addSignalListener("SIGINT", handler);
      } catch {
        // Windows and restricted hosts: leave Ctrl-C to its default.
        return () => {};
      }
      return () => Deno.removeSignalListener("SIGINT", handler);
    },
  };
}
