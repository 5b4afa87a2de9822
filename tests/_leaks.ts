/**
 * What a test asserts is left behind after it (run inside the namespace,
 * in the process that did the work): raw and packet sockets of this
 * process, nftables tables of tcpcraft, and processes of ours still
 * running.
 *
 * @module
 */

function inodes(file: string, column: string): Set<string> {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch {
    return new Set();
  }
  const [header, ...rows] = text.trim().split("\n");
  const index = header!.trim().split(/\s+/).indexOf(column);
  return new Set(
    rows.map((row) => row.trim().split(/\s+/)[index]!).filter(Boolean),
  );
}

/**
 * The raw (IPv4, IPv6) and packet sockets this process holds, by kind
 * (the runtime's own sockets, pipes and files are not counted).
 *
 * @returns `raw`, `raw6` and `packet` counts.
 */
export function openRawSockets(): {
  raw: number;
  raw6: number;
  packet: number;
} {
  const mine = new Set<string>();
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      const link = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
      const match = /^socket:\[(\d+)\]$/.exec(link);
      if (match !== null) mine.add(match[1]!);
    } catch {
      // closed meanwhile (the directory's own descriptor)
    }
  }
  const count = (set: Set<string>) =>
    [...set].filter((i) => mine.has(i)).length;
  return {
    raw: count(inodes("/proc/net/raw", "inode")),
    raw6: count(inodes("/proc/net/raw6", "inode")),
    packet: count(inodes("/proc/net/packet", "Inode")),
  };
}

/**
 * The nftables tables whose names start with `tcpcraft_`, in this
 * process's network namespace.
 *
 * @returns Their names.
 */
export function tcpcraftTables(): string[] {
  const output = new Deno.Command("nft", { args: ["list", "tables"] })
    .outputSync();
  const text = new TextDecoder().decode(output.stdout);
  return [...text.matchAll(/^table inet (tcpcraft_\S+)$/gm)].map((m) => m[1]!);
}

/**
 * The child processes of this process still running (`nft` calls that
 * were not waited for would show here).
 *
 * @returns Their command names.
 */
export function childProcesses(): string[] {
  const children: string[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(after[1]) === Deno.pid) {
        children.push(stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")));
      }
    } catch {
      // gone meanwhile
    }
  }
  return children;
}
