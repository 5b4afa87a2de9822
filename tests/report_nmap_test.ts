/**
 * nmap's outputs judged by nmap itself, in private namespaces (a scans c
 * through the router b, so nmap knows no MAC address that tcpcraft could
 * not know):
 *
 * - nmap scans a peer with open, closed, dropped and ICMP-rejected ports
 *   (one rejected by the router, so a reason comes from another address),
 *   with `-oA`; the verdicts its XML holds (listed ports and the collapsed
 *   ones of `<extrareasons ports=…>`) go through tcpcraft's writers; then
 *   `ndiff nmap.xml ours.xml` must find no difference, `xmllint` must find
 *   ours valid against nmap's DTD, and the normal and grepable outputs
 *   must equal nmap's line for line, except for what the module list
 *   below leaves out;
 * - tcpcraft's own scanner (`scan --format ndjson`) scans the same peer,
 *   and its verdicts, written as nmap's XML, must be what `ndiff` finds
 *   equal to nmap's XML (states, services, collapsed counts).
 *
 * Lines left out of the comparison, because nmap knows things tcpcraft
 * does not: the first and last lines (nmap's version, the times, the
 * command line), the latency in "Host is up (0.000015s latency)" (nmap's
 * timing estimate; tcpcraft prints its own from the replies' round trips).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  nmapGrepableFormat,
  nmapNormalFormat,
  type NmapPortResult,
  NmapReporter,
  type NmapRunInfo,
  nmapXmlFormat,
} from "../mod.ts";
import { commandExists, netnsTestGate, withNetwork } from "./_netns.ts";
import { expandRanges, parseNmapXml } from "./_nmap.ts";

const gate = netnsTestGate("nft", "nmap", "ndiff", "xmllint");
const DTD = "/usr/share/nmap/nmap.dtd";
const CLI = new URL("../cli.ts", import.meta.url).pathname;

/** tcpcraft's three outputs of the given verdicts, shuffled first. */
function writeOurs(
  info: NmapRunInfo,
  results: NmapPortResult[],
): { normal: string; xml: string; grepable: string } {
  const out = { normal: "", xml: "", grepable: "" };
  const reporter = new NmapReporter(info, [
    { format: nmapNormalFormat(), write: (t) => out.normal += t },
    { format: nmapXmlFormat(), write: (t) => out.xml += t },
    { format: nmapGrepableFormat(), write: (t) => out.grepable += t },
  ]);
  reporter.begin();
  const shuffled = [...results];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  for (let i = 0; i < shuffled.length; i += 97) {
    reporter.add(shuffled.slice(i, i + 97));
  }
  reporter.end({ endMs: info.startMs + 1234 });
  return out;
}

/** The lines both outputs must share: no first and last line, no latency. */
function comparable(text: string): string[] {
  const lines = text.split("\n");
  return lines.slice(1, lines.length - 2).map((line) =>
    line.replace(/ \([\d.]+s latency\)\./, ".")
  );
}

async function run(
  args: string[],
  check = true,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(args[0]!, {
    args: args.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const result = {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
  if (check && result.code !== 0) {
    throw new Error(
      `${args.join(" ")} exited ${result.code}: ${result.stderr}`,
    );
  }
  return result;
}

// The peer c: open 22, 80, 8080; dropped 135, 139, 445 and 2000-2039;
// rejected by c with ICMP on 7105 (administratively prohibited), 7108 (port
// unreachable), 7109 (host or address unreachable); rejected by the router
// b on 7110 (host or address unreachable); every other port closed.
const OPEN = [22, 80, 8080];
const PEER_RULES = `
table inet tcpcraft_report_test {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport { 135, 139, 445, 2000-2039 } drop
    meta nfproto ipv4 tcp dport 7105 reject with icmp type admin-prohibited
    meta nfproto ipv4 tcp dport 7108 reject with icmp type port-unreachable
    meta nfproto ipv4 tcp dport 7109 reject with icmp type host-unreachable
    meta nfproto ipv6 tcp dport 7105 reject with icmpv6 type admin-prohibited
    meta nfproto ipv6 tcp dport 7108 reject with icmpv6 type port-unreachable
    meta nfproto ipv6 tcp dport 7109 reject with icmpv6 type addr-unreachable
  }
}
`;
const ROUTER_RULES = `
table inet tcpcraft_report_test {
  chain forward {
    type filter hook forward priority 0; policy accept;
    meta nfproto ipv4 tcp dport 7110 reject with icmp type host-unreachable
    meta nfproto ipv6 tcp dport 7110 reject with icmpv6 type addr-unreachable
  }
}
`;

/** The scans: every port listed; closed collapsed; two states collapsed. */
const SCANS: { name: string; flag: string; ports: string; v6: boolean }[] = [
  {
    name: "listed",
    flag: "-sS",
    ports: "21-23,25,80,135,139,445,7105,7108-7112,8080",
    v6: false,
  },
  { name: "collapsed", flag: "-sS", ports: "1-1100,7105-7112,8080", v6: true },
  {
    name: "two-states",
    flag: "-sS",
    ports: "1-2100,7105,7108-7110,8080",
    v6: true,
  },
  { name: "ack", flag: "-sA", ports: "1-1100", v6: true },
  {
    name: "fin",
    flag: "-sF",
    ports: "21-23,25,80,135,7105,7108-7112",
    v6: true,
  },
];

Deno.test({
  name:
    "nmap's verdicts written by tcpcraft: ndiff finds no difference, the DTD validates, normal and grepable equal nmap's" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withNetwork(async (network) => {
      const { a, b, c } = network;
      await network.run(c!, ["nft", "-f", "-"], { stdin: PEER_RULES });
      await network.run(b, ["nft", "-f", "-"], { stdin: ROUTER_RULES });
      const listeners = [];
      for (const port of OPEN) {
        listeners.push(await network.listen(c!, port, { lifetimeMs: 300_000 }));
      }
      const dir = await Deno.makeTempDir({ prefix: "tcpcraft-report-" });
      try {
        for (const scan of SCANS) {
          for (const v6 of scan.v6 ? [false, true] : [false]) {
            const target = v6 ? c!.ipv6 : c!.ipv4;
            const base = `${dir}/${scan.name}${v6 ? "6" : "4"}`;
            await network.run(a, [
              "nmap",
              ...(v6 ? ["-6"] : []),
              "-n",
              "-Pn",
              "--reason",
              scan.flag,
              "-p",
              scan.ports,
              "--max-retries",
              "1",
              "--max-rtt-timeout",
              "200ms",
              "-oA",
              base,
              target,
            ], { timeoutMs: 60_000 });
            const nmapXml = await Deno.readTextFile(`${base}.xml`);
            const parsed = parseNmapXml(nmapXml);
            assert.equal(parsed.hosts.length, 1, nmapXml);
            const ours = writeOurs({
              scanType: parsed.scanType,
              ports: parsed.ports,
              args: `tcpcraft scan ${target} -p ${scan.ports}`,
              startMs: Date.now(),
              version: "0.0.0-test",
              reason: true,
            }, parsed.hosts[0]!.ports);
            await Deno.writeTextFile(`${base}.ours.xml`, ours.xml);
            const label = `${scan.name} ${target}`;
            const ndiff = await run(
              ["ndiff", `${base}.xml`, `${base}.ours.xml`],
              false,
            );
            assert.equal(ndiff.code, 0, `${label}: ndiff\n${ndiff.stdout}`);
            for (const file of [`${base}.xml`, `${base}.ours.xml`]) {
              const valid = await run(
                ["xmllint", "--noout", "--dtdvalid", DTD, file],
                false,
              );
              assert.equal(valid.code, 0, `${label}: ${file}\n${valid.stderr}`);
            }
            const nmapNormal = await Deno.readTextFile(`${base}.nmap`);
            assert.deepEqual(
              comparable(ours.normal),
              comparable(nmapNormal),
              `${label}: normal output\n${ours.normal}\n${nmapNormal}`,
            );
            const nmapGrepable = await Deno.readTextFile(`${base}.gnmap`);
            assert.deepEqual(
              comparable(ours.grepable),
              comparable(nmapGrepable),
              `${label}: grepable output`,
            );
            // What the scenarios are for, so a broken peer cannot pass quietly.
            if (scan.name === "two-states") {
              assert.match(
                nmapNormal,
                /Not shown: \d+ closed tcp ports \(reset\), \d+ filtered tcp ports \(no-response\), \d+ filtered tcp ports \(/,
              );
            }
            if (scan.name === "listed" && !v6) {
              assert.match(
                nmapNormal,
                /7110\/tcp filtered .* from 10\.200\.1\.2/,
              );
              assert.match(
                nmapNormal,
                /7105\/tcp filtered .* admin-prohibited/,
              );
            }
          }
        }
      } finally {
        for (const listener of listeners) await listener.close();
        await Deno.remove(dir, { recursive: true });
      }
    }, { hosts: 3 });
  },
});

Deno.test({
  name:
    "the scanner's verdicts written as nmap's XML: ndiff finds them equal to nmap's, IPv4 and IPv6" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withNetwork(async (network) => {
      const { a, b, c } = network;
      await network.run(c!, ["nft", "-f", "-"], { stdin: PEER_RULES });
      await network.run(b, ["nft", "-f", "-"], { stdin: ROUTER_RULES });
      const listeners = [];
      for (const port of OPEN) {
        listeners.push(await network.listen(c!, port, { lifetimeMs: 120_000 }));
      }
      const dir = await Deno.makeTempDir({ prefix: "tcpcraft-report-" });
      const ports = "1-1100,2000-2039,7105-7112,8080";
      try {
        for (const target of [c!.ipv4, c!.ipv6]) {
          const nmapXml = `${dir}/nmap.xml`;
          await network.run(a, [
            "nmap",
            ...(target.includes(":") ? ["-6"] : []),
            "-n",
            "-Pn",
            "-sS",
            "-p",
            ports,
            "--max-retries",
            "1",
            "--max-rtt-timeout",
            "200ms",
            "-oX",
            nmapXml,
            target,
          ], { timeoutMs: 60_000 });
          const scan = await network.run(a, [
            "env",
            "DENO_NO_UPDATE_CHECK=1",
            Deno.execPath(),
            "run",
            "-A",
            "--quiet",
            CLI,
            "scan",
            target,
            "-p",
            ports,
            "--timeout",
            "300ms",
            "--rate",
            "2000",
            "--format",
            "ndjson",
          ], { timeoutMs: 60_000 });
          const results = scan.stdout.trim().split("\n").map((line) =>
            JSON.parse(line) as {
              host: string;
              port: number;
              state: NmapPortResult["state"];
              reason: string;
              rtt_ms: number | null;
              ttl?: number;
              reason_ip?: string;
            }
          ).filter((row) => row.port !== undefined).map((row) => {
            const result: NmapPortResult = {
              host: row.host,
              port: row.port,
              state: row.state,
              reason: row.reason,
              rttMs: row.rtt_ms,
            };
            if (row.ttl !== undefined) result.reasonTtl = row.ttl;
            if (row.reason_ip !== undefined) result.reasonIp = row.reason_ip;
            return result;
          });
          const ours = writeOurs({
            scanType: "syn",
            ports: expandRanges(ports),
            args: `tcpcraft scan ${target} -p ${ports}`,
            startMs: Date.now(),
            version: "0.0.0-test",
          }, results);
          await Deno.writeTextFile(`${dir}/ours.xml`, ours.xml);
          const ndiff = await run(
            ["ndiff", nmapXml, `${dir}/ours.xml`],
            false,
          );
          assert.equal(ndiff.code, 0, `${target}: ndiff\n${ndiff.stdout}`);
          assert.match(
            ours.normal,
            /Not shown: \d+ closed tcp ports \(reset\)/,
          );
          assert.match(ours.normal, /22\/tcp +open +ssh/);
        }
      } finally {
        for (const listener of listeners) await listener.close();
        await Deno.remove(dir, { recursive: true });
      }
    }, { hosts: 3 });
  },
});

if (!commandExists("xmllint")) {
  console.log(
    "nmap XML tests skipped: xmllint (libxml2-utils) is not installed",
  );
}
