/**
 * The SERVICE column of nmap's table: the name of a TCP port, from IANA's
 * Service Name and Transport Protocol Port Number Registry, with nmap's
 * names on the ports nmap users see most (`msrpc` on 135, `http-proxy` on
 * 8080). The table is generated (`_services_table.ts`, by
 * `.ci/iana_services.ts`, which says where the data came from, its date
 * and the rules), and read into an array on first use.
 *
 * @module
 */

import { SERVICES_TABLE, SERVICES_TABLE_SOURCE } from "./_services_table.ts";

let names: (string | undefined)[] | undefined;

function table(): (string | undefined)[] {
  if (names !== undefined) return names;
  names = new Array<string | undefined>(65536).fill(undefined);
  for (const line of SERVICES_TABLE.split("\n")) {
    const space = line.indexOf(" ");
    if (space < 0) continue;
    const ports = line.slice(0, space);
    const name = line.slice(space + 1);
    const dash = ports.indexOf("-");
    const first = Number(dash < 0 ? ports : ports.slice(0, dash));
    const last = dash < 0 ? first : Number(ports.slice(dash + 1));
    for (let port = first; port <= last; port++) names[port] = name;
  }
  return names;
}

/**
 * The service name of a TCP port, as nmap's SERVICE column shows it
 * without version detection.
 *
 * @param port The port, 0..65535.
 * @returns The name, or undefined when the registry names none (nmap's
 *   table then says `unknown`).
 *
 * @example
 * ```ts
 * import { tcpServiceName } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(tcpServiceName(22), "ssh");
 * assert.equal(tcpServiceName(8080), "http-proxy"); // nmap's name; IANA says http-alt
 * assert.equal(tcpServiceName(6010), "x11"); // a range of the registry
 * assert.equal(tcpServiceName(65000), undefined);
 * ```
 */
export function tcpServiceName(port: number): string | undefined {
  return table()[port];
}

/**
 * Where the service names came from: the registry, its date, the copy read
 * and the ports that follow nmap.
 *
 * @example
 * ```ts
 * import { TCP_SERVICES_SOURCE } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(TCP_SERVICES_SOURCE.updated, /^\d{4}-\d{2}-\d{2}$/);
 * assert.ok(TCP_SERVICES_SOURCE.nmapNames.includes(135));
 * ```
 */
export const TCP_SERVICES_SOURCE: {
  readonly registry: string;
  readonly updated: string;
  readonly origin: string;
  readonly portsNamed: number;
  readonly nmapNames: readonly number[];
} = SERVICES_TABLE_SOURCE;
