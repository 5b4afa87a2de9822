/**
 * The Deno implementation of the host (`src/host/host.ts`) the CLI runs
 * with: standard streams, files, clock, environment and signals through
 * `Deno.*`, and the network of `ffi/net.ts`. Not part of `ffi/mod.ts`:
 * `cli.ts` composes it with the CLI.
 *
 * Permissions: reading a file needs `--allow-read`, writing one (`--pcap`)
 * `--allow-write`; environment variables
 * are read only when `--allow-env` grants them (never prompting), and
 * otherwise count as unset.
 *
 * @module
 */

import type {
  Host,
  HostFiles,
  HostFileWriter,
  HostKeptFile,
  HostPermissionQuery,
} from "../src/host/host.ts";
import type { Net } from "../src/host/net.ts";
import type { TcpConnector } from "../src/host/connect.ts";
import { createFfiNet } from "./net.ts";

const encoder = new TextEncoder();

function writeAll(
  stream: typeof Deno.stdout | typeof Deno.stderr,
  text: string | Uint8Array,
) {
  const bytes = typeof text === "string" ? encoder.encode(text) : text;
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

/** A file error in a few words, without the path, as `Host.readFile` promises. */
function describeFileError(error: unknown, access = "read"): string {
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotCapable) {
    return `Deno needs --allow-${access} (run: deno run --allow-${access} cli.ts ...)`;
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

/** Streaming reads and writes through `Deno.open`. */
const denoFiles: HostFiles = {
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
    return fileWriter(file);
  },
  async openAppend(path, offset) {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true, write: true });
      const size = (await file.stat()).size;
      if (size < offset) {
        file.close();
        throw new Error(`the file has ${size} bytes, fewer than ${offset}`);
      }
      await file.truncate(offset);
      await file.seek(offset, Deno.SeekMode.Start);
    } catch (error) {
      throw new Error(describeFileError(error, "write"), { cause: error });
    }
    return fileWriter(file);
  },
  async replace(path, data) {
    const temporary = `${path}.${Deno.pid}.tmp`;
    try {
      await Deno.writeFile(temporary, data);
      await Deno.rename(temporary, path);
    } catch (error) {
      await Deno.remove(temporary).catch(() => {});
      throw new Error(describeFileError(error, "write"), { cause: error });
    }
  },
  async remove(path) {
    try {
      await Deno.remove(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw new Error(describeFileError(error, "write"), { cause: error });
    }
  },
  async openKept(path) {
    let file: Deno.FsFile;
    let created = false;
    try {
      created = await Deno.lstat(path).then(() => false, () => true);
      file = await Deno.open(path, { read: true, write: true, create: true });
    } catch (error) {
      throw new Error(describeFileError(error, "write"), { cause: error });
    }
    return keptFile(path, file, created);
  },
};

/** A file rewritten in place through a handle opened while the process could. */
function keptFile(
  path: string,
  file: Deno.FsFile,
  created: boolean,
): HostKeptFile {
  let open = true;
  const close = () => {
    if (open) file.close();
    open = false;
  };
  return {
    created,
    async replace(data) {
      try {
        const old = (await file.stat()).size;
        const whole = new Uint8Array(Math.max(old, data.length)).fill(0x20);
        whole.set(data);
        await file.seek(0, Deno.SeekMode.Start);
        // One write of the whole, then the cut: see HostKeptFile.replace.
        let at = 0;
        while (at < whole.length) at += await file.write(whole.subarray(at));
        await file.truncate(data.length);
        await file.syncData();
      } catch (error) {
        throw new Error(describeFileError(error, "write"), { cause: error });
      }
    },
    async remove() {
      try {
        await Deno.remove(path);
        return "removed";
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return "removed";
        if (!(error instanceof Deno.errors.PermissionDenied)) {
          throw new Error(describeFileError(error, "write"), { cause: error });
        }
        // The directory is not ours to change any more: the file is.
        await file.truncate(0);
        return "emptied";
      } finally {
        close();
      }
    },
    close,
  };
}

/** A writer over an open file. */
function fileWriter(file: Deno.FsFile): HostFileWriter {
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
}

/** The flags of the permissions Deno withholds, asked without prompting. */
function missingPermissions(queries: readonly HostPermissionQuery[]): string[] {
  const missing: string[] = [];
  for (const query of queries) {
    const descriptor: Deno.PermissionDescriptor = query.name === "ffi"
      ? { name: "ffi" }
      : query.name === "net"
      ? {
        name: "net",
        ...(query.host === undefined ? {} : { host: query.host }),
      }
      : {
        name: query.name,
        ...(query.path === undefined ? {} : { path: query.path }),
      };
    const flag = `--allow-${query.name}`;
    if (
      Deno.permissions.querySync(descriptor).state !== "granted" &&
      !missing.includes(flag)
    ) {
      missing.push(flag);
    }
  }
  return missing;
}

/** Options for {@linkcode createDenoHost}. */
export interface DenoHostOptions {
  /** The network access (default: the ffi layer's, {@linkcode createFfiNet}). */
  net?: Net;
  /** Kernel TCP connections (`createDenoConnector()` of `connect.ts`). */
  connector?: TcpConnector;
}

/**
 * Create the host the CLI runs with under Deno.
 *
 * @param options The network access to give it.
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
export function createDenoHost(options: DenoHostOptions = {}): Host {
  return {
    stdout(text) {
      writeAll(Deno.stdout, text);
    },
    stdoutBytes(bytes) {
      writeAll(Deno.stdout, bytes);
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
    net: options.net ?? createFfiNet(),
    ...(options.connector === undefined
      ? {}
      : { connector: options.connector }),
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
    missingPermissions,
  };
}
