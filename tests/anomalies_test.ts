import assert from "node:assert/strict";
import {
  ANOMALY_CODES,
  ANOMALY_REFERENCES,
  anomalyReferenceUrl,
  explainPacket,
  formatAnomalyReference,
} from "../mod.ts";
import { createMemoryHost } from "../src/cli/host.ts";
import { runCli } from "../src/cli/main.ts";
import { ANOMALY_FIXTURES, xmas } from "./_explain_fixtures.ts";

/** The RFCs the anomalies cite, and the sections each has (as numbered in the RFC). */
const SECTIONS: Record<number, Record<string, string>> = {
  791: { "3.1": "Internet Header Format" },
  2385: { "2.0": "Proposal" },
  6335: { "6": "Port Number Ranges" },
  7323: { "2.3": "Using the Window Scale Option" },
  8200: { "3": "IPv6 Header Format" },
  9293: {
    "3.1": "Header Format",
    "3.8.5": "The Communication of Urgent Information",
    "3.10.7": "SEGMENT ARRIVES",
    "3.10.7.4": "Other States",
  },
};

Deno.test("ANOMALY_REFERENCES gives every anomaly code but malformed a section of an RFC, titled as the RFC titles it", () => {
  assert.deepEqual(
    Object.keys(ANOMALY_REFERENCES).sort(),
    [...ANOMALY_CODES].sort(),
  );
  for (const code of ANOMALY_CODES) {
    const reference = ANOMALY_REFERENCES[code];
    if (code === "malformed") {
      assert.equal(reference, undefined);
      continue;
    }
    assert.ok(reference !== undefined, code);
    assert.equal(
      SECTIONS[reference.rfc]?.[reference.section],
      reference.title,
      `${code}: RFC ${reference.rfc} §${reference.section}`,
    );
  }
  assert.equal(
    formatAnomalyReference(ANOMALY_REFERENCES["fin-without-ack"]!),
    "RFC 9293 §3.10.7.4 (Other States)",
  );
  assert.equal(
    anomalyReferenceUrl(ANOMALY_REFERENCES["ipv4-header-checksum"]!),
    "https://www.rfc-editor.org/rfc/rfc791.html#section-3.1",
  );
});

Deno.test("explainPacket() puts the RFC section on every anomaly it reports", () => {
  let seen = 0;
  for (const fixture of [xmas, ...ANOMALY_FIXTURES]) {
    for (const anomaly of explainPacket(fixture.bytes).anomalies) {
      assert.deepEqual(
        anomaly.reference,
        ANOMALY_REFERENCES[anomaly.code],
        `${fixture.description}: ${anomaly.code}`,
      );
      seen++;
    }
  }
  assert.ok(seen >= ANOMALY_FIXTURES.length);
});

Deno.test("explain --format json gives each anomaly its RFC section; the text output is as it was", async () => {
  const hex = [
    "45000028 00010000 4006f6a3 c000022a c0000201",
    "0014029a 00000000 00000000 50292000 08e20000",
  ];
  const host = createMemoryHost();
  assert.equal(
    await runCli(["explain", ...hex, "--format", "json"], host, {
      version: "0",
    }),
    0,
  );
  const anomalies = JSON.parse(host.out).anomalies;
  assert.deepEqual(anomalies[0], {
    code: "xmas",
    message:
      "Christmas tree packet: FIN, PSH and URG are all set, lit up like a tree; no TCP stack sends this, it is a port-scan probe (nmap -sX)",
    byteOffset: 33,
    field: "flags",
    reference: { rfc: 9293, section: "3.10.7", title: "SEGMENT ARRIVES" },
  });
  const text = createMemoryHost();
  await runCli(["explain", ...hex], text, { version: "0" });
  assert.match(
    text.out,
    /^ {2}xmas at byte 33: Christmas tree packet: FIN, PSH and URG are all set, lit up like a tree; no TCP stack sends this, it is a port-scan probe \(nmap -sX\)$/m,
  );
});
