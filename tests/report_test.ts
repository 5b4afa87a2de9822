/**
 * nmap's outputs without a network: the collapsing rule and its orders,
 * the buffering of hosts, the reporter's contract, and the XML checked
 * against nmap's DTD by xmllint (`report_nmap_test.ts` has nmap itself
 * judge them).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  collapsedStates,
  isCollapsedState,
  nmapGrepableFormat,
  nmapNormalFormat,
  nmapPortFromScanResult,
  type NmapPortResult,
  NmapReporter,
  type NmapRunInfo,
  nmapXmlFormat,
  portRangeText,
  reasonGroups,
} from "../mod.ts";
import { HostPorts, ReasonCodes } from "../src/engine/report/host_ports.ts";
import { commandExists } from "./_netns.ts";

const INFO: NmapRunInfo = {
  scanType: "syn",
  ports: Array.from({ length: 100 }, (_, i) => i + 1),
  args: `tcpcraft scan 192.0.2.1 -p 1-100 --banner "a&b" --x '<y>'`,
  startMs: Date.UTC(2026, 0, 2, 3, 4, 5),
  version: "0.1.0",
  reason: true,
};

function outputs(info: NmapRunInfo, results: NmapPortResult[]) {
  const out = { normal: "", xml: "", grepable: "" };
  const reporter = new NmapReporter(info, [
    { format: nmapNormalFormat(), write: (t) => out.normal += t },
    { format: nmapXmlFormat(), write: (t) => out.xml += t },
    { format: nmapGrepableFormat(), write: (t) => out.grepable += t },
  ], { now: () => info.startMs + 5000 });
  reporter.begin();
  reporter.add(results);
  reporter.end({ endMs: info.startMs + 5000 });
  return out;
}

function closedHost(host: string, count: number): NmapPortResult[] {
  return Array.from({ length: count }, (_, i) => ({
    host,
    port: i + 1,
    state: "closed" as const,
    reason: "reset",
    reasonTtl: 64,
  }));
}

Deno.test("isCollapsedState() follows nmap's threshold: more than 25 ports, 25 × (v + 1) with -v", () => {
  assert.equal(isCollapsedState("filtered", 25), false);
  assert.equal(isCollapsedState("filtered", 26), true);
  assert.equal(isCollapsedState("filtered", 50, { verbose: 1 }), false);
  assert.equal(isCollapsedState("filtered", 51, { verbose: 1 }), true);
  assert.equal(isCollapsedState("filtered", 75, { verbose: 2 }), false);
  assert.equal(isCollapsedState("closed", 65535, { allPorts: true }), false);
  assert.equal(isCollapsedState("open", 65535), false);
  // --open: everything but the states that may be open goes.
  assert.equal(isCollapsedState("closed", 1, { openOnly: true }), true);
  assert.equal(isCollapsedState("filtered", 1, { openOnly: true }), true);
  assert.equal(isCollapsedState("open|filtered", 3, { openOnly: true }), false);
  assert.equal(isCollapsedState("unfiltered", 3, { openOnly: true }), false);
});

Deno.test("collapsedStates() gives most ports first, ties in nmap's state order", () => {
  const counts = new Map(
    [
      ["open|filtered", 30],
      ["filtered", 30],
      ["closed", 30],
      ["unfiltered", 100],
      ["open", 500],
    ] as const,
  );
  assert.deepEqual(collapsedStates(counts), [
    "unfiltered",
    "closed",
    "filtered",
    "open|filtered",
  ]);
});

Deno.test("reasonGroups() orders ties as nmap's merge sort does: later groups first", () => {
  const ports = [
    { port: 1, reason: "admin-prohibited" },
    { port: 2, reason: "port-unreach" },
    { port: 3, reason: "host-unreach" },
    { port: 4, reason: "no-response" },
    { port: 5, reason: "no-response" },
  ];
  assert.deepEqual(reasonGroups(ports).map((g) => g.reason), [
    "no-response",
    "host-unreach",
    "port-unreach",
    "admin-prohibited",
  ]);
  assert.equal(portRangeText([]), "");
  assert.equal(portRangeText([65535]), "65535");
});

Deno.test("HostPorts keeps a port given twice once, with its last result, and its reason source", () => {
  const host = new HostPorts("192.0.2.1", 0, new ReasonCodes());
  host.add({
    host: "192.0.2.1",
    port: 7,
    state: "filtered",
    reason: "no-response",
  });
  host.add({
    host: "192.0.2.1",
    port: 7,
    state: "filtered",
    reason: "host-unreach",
    reasonTtl: 250,
    reasonIp: "192.0.2.254",
  });
  host.add({
    host: "192.0.2.1",
    port: 3,
    state: "open",
    reason: "syn-ack",
    rttMs: 2,
  });
  const report = host.report();
  assert.equal(report.total, 2);
  assert.deepEqual(report.ports, [
    { port: 3, state: "open", reason: "syn-ack", reasonTtl: 0 },
    {
      port: 7,
      state: "filtered",
      reason: "host-unreach",
      reasonTtl: 250,
      reasonIp: "192.0.2.254",
    },
  ]);
  assert.equal(report.srttUs, 2000);
  assert.equal(report.rttvarUs, 1000);
});

Deno.test("NmapReporter writes hosts in target order at the end, or at once when complete", () => {
  let text = "";
  const reporter = new NmapReporter({ ...INFO, reason: false }, [
    { format: nmapGrepableFormat(), write: (t) => text += t },
  ]);
  reporter.begin();
  assert.match(text, /^# tcpcraft 0\.1\.0 scan initiated /);
  reporter.add([
    {
      host: "192.0.2.9",
      port: 1,
      state: "open",
      reason: "syn-ack",
      hostIndex: 2,
    },
    {
      host: "192.0.2.3",
      port: 1,
      state: "open",
      reason: "syn-ack",
      hostIndex: 1,
    },
    {
      host: "192.0.2.7",
      port: 1,
      state: "open",
      reason: "syn-ack",
      hostIndex: 0,
    },
  ]);
  reporter.completeHost("192.0.2.9");
  assert.match(text, /Host: 192\.0\.2\.9 \(\)\tStatus: Up\n/);
  assert.equal(reporter.bufferedPorts, 2);
  assert.throws(
    () =>
      reporter.add([{
        host: "192.0.2.9",
        port: 2,
        state: "closed",
        reason: "reset",
      }]),
    /Cannot report port 2 of 192\.0\.2\.9: the host was already written/,
  );
  reporter.end();
  const order = [...text.matchAll(/Host: (\S+) \(\)\tStatus/g)].map((m) =>
    m[1]
  );
  assert.deepEqual(order, ["192.0.2.9", "192.0.2.7", "192.0.2.3"]);
  assert.match(
    text,
    /-- 3 IP addresses \(3 hosts up\) scanned in \d+\.\d\d seconds\n$/,
  );
  reporter.end();
  assert.equal(text.match(/ done at /g)?.length, 1);
});

Deno.test("normal output: every port ignored, and the switches that show all or only the open", () => {
  const all = outputs(INFO, closedHost("192.0.2.1", 100)).normal.split("\n");
  assert.deepEqual(all.slice(1, 5), [
    "Nmap scan report for 192.0.2.1",
    "Host is up, received user-set.",
    "All 100 scanned ports on 192.0.2.1 are in ignored states.",
    "Not shown: 100 closed tcp ports (reset)",
  ]);
  const shown = outputs(
    { ...INFO, allPorts: true },
    closedHost("192.0.2.1", 30),
  );
  assert.equal(shown.normal.match(/\/tcp +closed/g)?.length, 30);
  assert.doesNotMatch(shown.normal, /Not shown/);
  // -v: 50 ports a state before collapsing.
  const verbose = outputs({ ...INFO, verbose: 1 }, closedHost("192.0.2.1", 40));
  assert.equal(verbose.normal.match(/\/tcp +closed/g)?.length, 40);
  // --open: a host without open ports is left out, but counted.
  const open = outputs({ ...INFO, openOnly: true }, [
    ...closedHost("192.0.2.1", 3),
    ...closedHost("192.0.2.2", 2),
    {
      host: "192.0.2.2",
      port: 80,
      state: "open",
      reason: "syn-ack",
      reasonTtl: 64,
    },
  ]);
  assert.doesNotMatch(open.normal, /report for 192\.0\.2\.1\n/);
  assert.match(
    open.normal,
    /Not shown: 2 closed tcp ports \(reset\)\nPORT {3}STATE SERVICE REASON\n80\/tcp open {2}http {4}syn-ack ttl 64\n/,
  );
  assert.match(open.normal, /2 IP addresses \(2 hosts up\)/);
});

Deno.test("a port without a registry name: unknown in the table, nothing in XML and grepable, as nmap", () => {
  const out = outputs(INFO, [
    {
      host: "192.0.2.1",
      port: 65000,
      state: "open",
      reason: "syn-ack",
      reasonTtl: 64,
    },
  ]);
  assert.match(out.normal, /65000\/tcp open {2}unknown syn-ack ttl 64/);
  assert.match(out.grepable, /Ports: 65000\/open\/tcp\/\/\/\/\/\n/);
  assert.match(
    out.xml,
    /<port protocol="tcp" portid="65000"><state state="open" reason="syn-ack" reason_ttl="64"\/><\/port>/,
  );
});

Deno.test("a 65,535-port host given in reverse comes out sorted and collapsed, quickly", () => {
  const results: NmapPortResult[] = [];
  for (let port = 65535; port >= 1; port--) {
    results.push(
      port % 1000 === 0
        ? {
          host: "2001:db8::1",
          port,
          state: "open",
          reason: "syn-ack",
          reasonTtl: 64,
        }
        : {
          host: "2001:db8::1",
          port,
          state: "closed",
          reason: "reset",
          reasonTtl: 64,
        },
    );
  }
  const started = performance.now();
  const out = outputs(INFO, results);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 3000, `${elapsed} ms`);
  assert.match(out.normal, /Not shown: 65470 closed tcp ports \(reset\)\n/);
  assert.match(out.xml, /ports="1-999,1001-1999,2001-2999,/);
  assert.equal(out.normal.match(/\/tcp +open/g)?.length, 65);
});

Deno.test("nmapPortFromScanResult() carries the reply's TTL and the ICMP sender", () => {
  assert.deepEqual(
    nmapPortFromScanResult({
      host: "192.0.2.1",
      port: 25,
      state: "filtered",
      reason: "admin-prohibited",
      rttMs: 1.5,
      ttl: 250,
      reasonIp: "192.0.2.254",
      addressIndex: 0,
    }),
    {
      host: "192.0.2.1",
      port: 25,
      state: "filtered",
      reason: "admin-prohibited",
      rttMs: 1.5,
      hostIndex: 0,
      reasonTtl: 250,
      reasonIp: "192.0.2.254",
    },
  );
});

Deno.test({
  name:
    "the XML of several hosts, a failure and odd arguments is valid against nmap's DTD" +
    (commandExists("xmllint") ? "" : " (skipped: needs xmllint)"),
  ignore: !commandExists("xmllint") ||
    !(() => {
      try {
        return Deno.statSync("/usr/share/nmap/nmap.dtd").isFile;
      } catch {
        return false;
      }
    })(),
  async fn() {
    const results: NmapPortResult[] = [
      ...closedHost("192.0.2.1", 100),
      {
        host: "192.0.2.1",
        port: 101,
        state: "filtered",
        reason: "host-unreach",
        reasonTtl: 63,
        reasonIp: "192.0.2.254",
      },
      {
        host: "2001:db8::2",
        port: 22,
        state: "open|filtered",
        reason: "no-response",
      },
      {
        host: "2001:db8::2",
        port: 23,
        state: "unfiltered",
        reason: "reset",
        reasonTtl: 60,
      },
    ];
    let xml = "";
    const reporter = new NmapReporter({ ...INFO, scanType: "connect" }, [
      { format: nmapXmlFormat(), write: (t) => xml += t },
    ]);
    reporter.add(results);
    reporter.end({ error: "Interrupted \u0007 by <signal>" });
    assert.match(
      xml,
      /args="tcpcraft scan 192\.0\.2\.1 -p 1-100 -&#45;banner &quot;a&amp;b&quot; -&#45;x &#39;&lt;y&gt;&#39;"/,
    );
    assert.match(
      xml,
      /exit="error" errormsg="Interrupted \\x07 by &lt;signal&gt;"/,
    );
    assert.match(xml, /reason_ip="192\.0\.2\.254"/);
    const file = await Deno.makeTempFile({ suffix: ".xml" });
    try {
      await Deno.writeTextFile(file, xml);
      const check = await new Deno.Command("xmllint", {
        args: ["--noout", "--dtdvalid", "/usr/share/nmap/nmap.dtd", file],
        stderr: "piped",
      }).output();
      assert.ok(check.success, new TextDecoder().decode(check.stderr));
    } finally {
      await Deno.remove(file);
    }
  },
});
