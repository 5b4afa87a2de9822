/**
 * Regenerate `src/engine/_services_table.ts`, the SERVICE names of TCP
 * ports, from IANA's Service Name and Transport Protocol Port Number
 * Registry (<https://www.iana.org/assignments/service-names-port-numbers/>).
 *
 * ```sh
 * deno run --allow-read --allow-net --allow-write=src --allow-run \
 *   .ci/iana_services.ts SOURCE [--out src/engine/_services_table.ts] \
 *   [--origin TEXT]
 * ```
 *
 * SOURCE is a path or an `https:` URL of the registry in either of the two
 * forms IANA publishes, which hold the same records:
 * `service-names-port-numbers.csv` (RFC 4180 quoting; no date inside) or
 * `service-names-port-numbers.xml` (with its `<updated>` date, which the
 * generated file then states). `--origin` says in the generated file where
 * SOURCE came from (a mirror, a commit), when that is not SOURCE itself.
 * The file is written, then formatted with `deno fmt`.
 *
 * The rules, in the order they apply:
 *
 * 1. Only `tcp` records with a service name count; a record for a range
 *    (`6000-6063`) names every port of the range.
 * 2. Where several records name a port, the first in the registry's order
 *    wins: IANA lists the primary name first (`http` before `www` and
 *    `www-http` on port 80).
 * 3. Legacy names that are not service names by RFC 6335 section 5.1 (with
 *    a space, such as `Apple Remote Desktop (Net Assistant)`) are left
 *    out: they would break the columns of nmap's table.
 * 4. nmap's names win on the ports nmap users see most: where the name
 *    nmap's `nmap-services` gives one of the 100 TCP ports nmap scans by
 *    default (its top ports by open frequency) differs from IANA's, or IANA
 *    has none, {@linkcode NMAP_NAMES} holds nmap's, because `ndiff` compares
 *    service names and people read `msrpc`, not `epmap`, on port 135. The
 *    list was taken from nmap 7.93's `nmap-services`;
 *    `tests/services_test.ts` checks it against the installed file. Only
 *    these names are taken from nmap: the rest of the table is IANA's.
 *
 * @module
 */

/**
 * nmap's names for the ports of its top 100 where IANA's first name
 * differs or IANA has none (nmap 7.93, `nmap-services`). `unknown` is
 * nmap's own word for ports it knows are often open but cannot name.
 */
export const NMAP_NAMES: Readonly<Record<number, string>> = Object.freeze({
  26: "rsftp",
  81: "hosts2-ns",
  88: "kerberos-sec",
  106: "pop3pw",
  111: "rpcbind",
  135: "msrpc",
  144: "news",
  465: "smtps",
  548: "afp",
  1025: "NFS-or-IIS",
  1026: "LSA-or-nterm",
  1027: "IIS",
  1028: "unknown",
  1029: "ms-lsa",
  1110: "nfsd-status",
  1720: "h323q931",
  1755: "wms",
  1900: "upnp",
  2049: "nfs",
  2121: "ccproxy-ftp",
  3000: "ppp",
  3128: "squid-http",
  3986: "mapper-ws_ethd",
  4899: "radmin",
  5000: "upnp",
  5009: "airport-admin",
  5051: "ida-agent",
  5101: "admdog",
  5800: "vnc-http",
  5900: "vnc",
  6000: "X11",
  6001: "X11:1",
  6646: "unknown",
  7070: "realserver",
  8000: "http-alt",
  8008: "http",
  8009: "ajp13",
  8080: "http-proxy",
  8081: "blackice-icecap",
  8443: "https-alt",
  8888: "sun-answerbook",
  9100: "jetdirect",
  9999: "abyss",
  10000: "snet-sensor-mgmt",
  49152: "unknown",
  49153: "unknown",
  49154: "unknown",
  49155: "unknown",
  49156: "unknown",
  49157: "unknown",
});

/** One TCP record of the registry: a name and the ports it covers. */
export interface ServiceRecord {
  /** The service name. */
  name: string;
  /** The first port. */
  first: number;
  /** The last port (the first, for a single port). */
  last: number;
}

/** What a registry file holds for the table. */
export interface Registry {
  /** The TCP records with a name, in the registry's order. */
  records: ServiceRecord[];
  /** The registry's `<updated>` date (XML only). */
  updated?: string;
}

/**
 * Split CSV text into rows of fields (RFC 4180: quoted fields may hold
 * commas, doubled quotes and line breaks).
 *
 * @param text The CSV text.
 * @returns The rows.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else {
      field += c;
    }
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function portRange(text: string): [number, number] | undefined {
  const match = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(text);
  if (match === null) return undefined;
  const first = Number(match[1]);
  const last = Number(match[2] ?? match[1]);
  if (first > last || last > 65535) return undefined;
  return [first, last];
}

/**
 * The TCP records of IANA's CSV (`Service Name,Port Number,Transport
 * Protocol,…`).
 *
 * @param text The CSV.
 * @returns The records.
 */
export function parseRegistryCsv(text: string): Registry {
  const rows = parseCsv(text.replace(/^\ufeff/, ""));
  const header = rows[0]?.map((h) => h.trim().toLowerCase()) ?? [];
  const nameAt = header.indexOf("service name");
  const portAt = header.indexOf("port number");
  const protocolAt = header.indexOf("transport protocol");
  if (nameAt < 0 || portAt < 0 || protocolAt < 0) {
    throw new Error(
      "Cannot read the registry CSV: no Service Name, Port Number and Transport Protocol columns",
    );
  }
  const records: ServiceRecord[] = [];
  for (const row of rows.slice(1)) {
    const name = (row[nameAt] ?? "").trim();
    const range = portRange(row[portAt] ?? "");
    if (name === "" || range === undefined) continue;
    if ((row[protocolAt] ?? "").trim().toLowerCase() !== "tcp") continue;
    records.push({ name, first: range[0], last: range[1] });
  }
  return { records };
}

function decodeXmlText(text: string): string {
  return text.replace(
    /&(lt|gt|amp|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g,
    (_, name: string, dec?: string, hex?: string) => {
      if (dec !== undefined) return String.fromCodePoint(Number(dec));
      if (hex !== undefined) return String.fromCodePoint(parseInt(hex, 16));
      return { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" }[
        name as "lt"
      ];
    },
  );
}

/**
 * The TCP records of IANA's XML (`<record>` elements with `<name>`,
 * `<protocol>` and `<number>`), and its `<updated>` date.
 *
 * @param text The XML.
 * @returns The records and the date.
 */
export function parseRegistryXml(text: string): Registry {
  const records: ServiceRecord[] = [];
  const child = (record: string, tag: string) => {
    const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(record);
    return match === null ? undefined : decodeXmlText(match[1]!).trim();
  };
  for (const match of text.matchAll(/<record\b[^>]*>([\s\S]*?)<\/record>/g)) {
    const record = match[1]!;
    const name = child(record, "name");
    const number = child(record, "number");
    if (name === undefined || name === "" || number === undefined) continue;
    if (child(record, "protocol")?.toLowerCase() !== "tcp") continue;
    const range = portRange(number);
    if (range === undefined) continue;
    records.push({ name, first: range[0], last: range[1] });
  }
  // The registry's own date: the first <updated> element, before any record.
  const head = text.slice(0, text.search(/<record\b/));
  const updated = /<updated>([^<]+)<\/updated>/.exec(head)?.[1]?.trim();
  return updated === undefined ? { records } : { records, updated };
}

/**
 * The name of each TCP port by the rules of the module documentation.
 *
 * @param registry The registry's records.
 * @returns Port to name, and how many names came from nmap.
 */
export function serviceNames(
  registry: Registry,
): { names: Map<number, string>; fromNmap: number[] } {
  const names = new Map<number, string>();
  for (const { name, first, last } of registry.records) {
    if (/\s/.test(name)) continue;
    for (let port = first; port <= last; port++) {
      if (!names.has(port)) names.set(port, name);
    }
  }
  const fromNmap: number[] = [];
  for (const [port, name] of Object.entries(NMAP_NAMES)) {
    if (names.get(Number(port)) !== name) {
      names.set(Number(port), name);
      fromNmap.push(Number(port));
    }
  }
  return { names, fromNmap: fromNmap.sort((a, b) => a - b) };
}

/**
 * The lines of the table: `PORT NAME`, or `FIRST-LAST NAME` for a run of
 * consecutive ports with the same name.
 *
 * @param names Port to name.
 * @returns The lines, by port.
 */
export function tableLines(names: Map<number, string>): string[] {
  const ports = [...names.keys()].sort((a, b) => a - b);
  const lines: string[] = [];
  for (let i = 0; i < ports.length;) {
    const first = ports[i]!;
    const name = names.get(first)!;
    let j = i;
    while (
      j + 1 < ports.length && ports[j + 1] === ports[j]! + 1 &&
      names.get(ports[j + 1]!) === name
    ) j++;
    const last = ports[j]!;
    lines.push(`${first === last ? first : `${first}-${last}`} ${name}`);
    i = j + 1;
  }
  return lines;
}

/**
 * The generated module's text.
 *
 * @param registry The registry.
 * @param origin Where the registry came from.
 * @returns The TypeScript source.
 */
export function generate(registry: Registry, origin: string): string {
  const { names, fromNmap } = serviceNames(registry);
  const lines = tableLines(names);
  for (const line of lines) {
    if (/[`\\$]/.test(line)) {
      throw new Error(`Cannot generate the table: unexpected name in ${line}`);
    }
  }
  const date = registry.updated ?? "not stated in the source";
  return `// Generated by .ci/iana_services.ts from IANA's Service Name and Transport Protocol Port Number Registry. Do not edit: run the script.
/**
 * The SERVICE names of TCP ports, one line a port or a run of ports
 * (\`FIRST-LAST NAME\`), from IANA's Service Name and Transport Protocol
 * Port Number Registry, with nmap's names on ${fromNmap.length} of the 100
 * ports nmap scans by default (see \`.ci/iana_services.ts\` for the rules).
 *
 * - Registry: https://www.iana.org/assignments/service-names-port-numbers/
 * - Registry date (its \`<updated>\`): ${date}
 * - Read from: ${origin}
 * - Ports named: ${names.size}; nmap's names: ${fromNmap.join(", ")}
 *
 * @module
 */

/**
 * Where the table came from.
 *
 * @example
 * \`\`\`ts
 * import { SERVICES_TABLE_SOURCE } from "./_services_table.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(SERVICES_TABLE_SOURCE.registry, /iana\\.org/);
 * \`\`\`
 */
export const SERVICES_TABLE_SOURCE = Object.freeze({
  registry: "https://www.iana.org/assignments/service-names-port-numbers/",
  updated: ${JSON.stringify(date)},
  origin: ${JSON.stringify(origin)},
  portsNamed: ${names.size},
  nmapNames: ${JSON.stringify(fromNmap)},
});

/**
 * The table: \`PORT NAME\` or \`FIRST-LAST NAME\` lines, by port.
 *
 * @example
 * \`\`\`ts
 * import { SERVICES_TABLE } from "./_services_table.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(SERVICES_TABLE.includes("\\n22 ssh\\n"));
 * \`\`\`
 */
export const SERVICES_TABLE = \`
${lines.join("\n")}
\`;
`;
}

async function readSource(source: string): Promise<string> {
  if (/^https?:\/\//.test(source)) {
    const response = await fetch(source);
    if (!response.ok) {
      throw new Error(
        `Cannot read ${source}: ${response.status} ${response.statusText}`,
      );
    }
    return await response.text();
  }
  return await Deno.readTextFile(source);
}

/**
 * Read the registry and write the table.
 *
 * @param args The command line.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  let out = new URL("../src/engine/_services_table.ts", import.meta.url)
    .pathname;
  let origin: string | undefined;
  let source: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--out") out = args[++i] ?? out;
    else if (args[i] === "--origin") origin = args[++i];
    else source = args[i];
  }
  if (source === undefined) {
    console.error(
      "usage: iana_services.ts SOURCE [--out FILE] [--origin TEXT]",
    );
    return 2;
  }
  const text = await readSource(source);
  const registry = /^\s*(<\?xml|<registry)/.test(text)
    ? parseRegistryXml(text)
    : parseRegistryCsv(text);
  if (registry.records.length < 1000) {
    console.error(
      `error: ${source} holds ${registry.records.length} TCP records: not the registry`,
    );
    return 1;
  }
  await Deno.writeTextFile(out, generate(registry, origin ?? source));
  const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", out] })
    .output();
  if (!fmt.success) {
    console.error(new TextDecoder().decode(fmt.stderr));
    return 1;
  }
  console.log(`wrote ${out}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
