/**
 * Servers for tests, started inside a namespace and stopped by their own
 * process handle: a command that prints a ready marker once it listens
 * (`READY` for the Python scripts here, `ACCEPT` for `openssl s_server`).
 * The Python servers serve every connection on a thread of its own, so a
 * peer that resets a connection (nmap's connect scan does) cannot stop
 * them.
 *
 * @module
 */

import type { Host } from "./_netns.ts";

/** A server started by {@linkcode startProcess}. */
export interface Server {
  /** What it printed on standard output so far. */
  stdout(): string;
  /** What it printed on standard error so far. */
  stderr(): string;
  /** Kill it and wait for it. */
  stop(): Promise<void>;
}

/**
 * Start a command in a namespace and wait until its standard output holds
 * `ready`.
 *
 * @param host The namespace.
 * @param args The command and its arguments.
 * @param ready The text that says it listens.
 * @returns The server.
 */
export async function startProcess(
  host: Host,
  args: string[],
  ready: string,
): Promise<Server> {
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", host.ns, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const pump = async (
    stream: ReadableStream<Uint8Array>,
    add: (text: string) => void,
  ) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      add(chunk);
    }
  };
  const pumps = Promise.all([
    pump(child.stdout, (t) => out += t),
    pump(child.stderr, (t) => err += t),
  ]).catch(() => {});
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
  };
  const stop = async () => {
    kill();
    await child.stdin.close().catch(() => {});
    await child.status;
    await pumps;
  };
  const started = Date.now();
  while (!out.includes(ready) && Date.now() - started < 15_000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!out.includes(ready)) {
    await stop();
    throw new Error(`${args[0]} did not start: ${out}${err}`);
  }
  return { stdout: () => out, stderr: () => err, stop };
}

/**
 * Start a Python server in a namespace and wait until it prints `READY`.
 *
 * @param host The namespace.
 * @param script The Python program.
 * @param args Its arguments.
 * @returns The server.
 */
export function startServer(
  host: Host,
  script: string,
  args: string[] = [],
): Promise<Server> {
  return startProcess(
    host,
    ["/usr/bin/python3", "-u", "-c", script, ...args],
    "READY",
  );
}

/**
 * A dual-stack server: `greeting port...`. It accepts connections on the
 * ports; on each it sends the greeting (Python escapes such as `\r\n`
 * allowed; nothing when empty), reads what the client sends until it
 * pauses or closes, prints that as a JSON line (`{"port", "data"}` in
 * hex) and closes.
 */
export const ACCEPT_SCRIPT = String.raw`
import json, socket, sys, threading
greeting = sys.argv[1].encode().decode("unicode_escape").encode("latin-1")
def handle(conn, port):
    data = b""
    try:
        if greeting:
            conn.sendall(greeting)
        conn.settimeout(0.5)
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    print(json.dumps({"port": port, "data": data.hex()}), flush=True)
    try:
        conn.close()
    except OSError:
        pass
def serve(server, port):
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        threading.Thread(target=handle, args=(conn, port), daemon=True).start()
for port in sys.argv[2:]:
    server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("::", int(port)))
    server.listen(128)
    threading.Thread(target=serve, args=(server, int(port)), daemon=True).start()
print("READY", flush=True)
threading.Event().wait()
`;
