import assert from "node:assert/strict";
import {
  encodePacket,
  explainPacket,
  type Explanation,
  makeTcpPacket,
} from "../mod.ts";
import {
  hexDump,
  renderChecksumWork,
  renderExplanation,
  renderFieldTable,
  renderHeaderDiagram,
  terminalSafe,
} from "../src/explain/render.ts";
import { ANOMALY_FIXTURES, cleanSyn, xmas } from "./_explain_fixtures.ts";
import { ipv6Routing, pshAckOdd } from "./_fixtures.ts";

/** The bits of bytes, most significant first (independent of the renderer). */
function bitsOf(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(2).padStart(8, "0")).join("");
}

const BIT_LINE = /^\|([01 |]*)\|$/;

Deno.test("renderHeaderDiagram() draws the TCP header of the Christmas-tree packet as RFC 9293 does", () => {
  const diagram = renderHeaderDiagram(explainPacket(xmas.bytes).layers[1]!);
  assert.equal(
    diagram,
    [
      " 0                   1                   2                   3",
      " 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1",
      "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
      "|       Source Port = 20        |    Destination Port = 666     |",
      "|0 0 0 0 0 0 0 0 0 0 0 1 0 1 0 0|0 0 0 0 0 0 1 0 1 0 0 1 1 0 1 0|",
      "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
      "|                      Sequence Number = 0                      |",
      "|0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0|",
      "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
      "|                   Acknowledgment Number = 0                   |",
      "|0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0|",
      "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
      "| Data  |Rsrvd|A|C|E|U|A|P|R|S|F|                               |",
      "|Offset |0b000|E|W|C|R|C|S|S|Y|I|         Window = 8192         |",
      "|   5   |     | |R|E|G|K|H|T|N|N|                               |",
      "|0 1 0 1|0 0 0|0|0|0|1|0|1|0|0|1|0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0|",
      "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
      "|       Checksum = 0x08e2       |      Urgent Pointer = 0       |",
      "|0 0 0 0 1 0 0 0 1 1 1 0 0 0 1 0|0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0|",
      "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
    ].join("\n"),
  );
});

Deno.test("renderHeaderDiagram() shows every bit of every header under its column of the ruler", () => {
  const packets = [
    ...ANOMALY_FIXTURES.map((f) => f.bytes),
    ipv6Routing.bytes,
    pshAckOdd.bytes,
  ];
  for (const bytes of packets) {
    for (const layer of explainPacket(bytes).layers) {
      const lines = renderHeaderDiagram(layer).split("\n");
      const bits = lines.filter((l) => BIT_LINE.test(l)).map((l) =>
        l.replace(/[^01]/g, "")
      ).join("");
      const end = layer.byteOffset + layer.length;
      assert.equal(
        bits,
        bitsOf(bytes.subarray(layer.byteOffset, end)),
        layer.name,
      );
      for (const line of lines.slice(2)) {
        assert.ok(line.length <= 65, `${layer.name}: ${line}`);
        // Bits sit at odd columns (under the ruler's digits), borders at even ones.
        if (BIT_LINE.test(line)) {
          [...line].forEach((c, i) => {
            if (c === "0" || c === "1") assert.equal(i % 2, 1, line);
            if (c === "|") assert.equal(i % 2, 0, line);
          });
        }
      }
    }
  }
});

Deno.test("renderHeaderDiagram() lets a field run on across rows without a line between the parts", () => {
  const lines = renderHeaderDiagram(explainPacket(cleanSyn.bytes).layers[1]!)
    .split("\n");
  // The timestamps option (bytes 26..35) ends row 7 and fills row 8.
  assert.ok(
    lines.includes(
      "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +",
    ),
  );
  assert.ok(lines.some((l) => /^\| +Timestamps = val 1 ecr 0 +\|$/.test(l)));
  assert.ok(lines.some((l) => /^\| +MSS = 1460 +\|$/.test(l)));
  assert.ok(lines.some((l) => /^\| +NOP +\| +Window scale = 7 +\|$/.test(l)));
  // An IPv6 address is one box four rows tall.
  const ipv6 = renderHeaderDiagram(explainPacket(ipv6Routing.bytes).layers[0]!)
    .split("\n");
  assert.equal(
    ipv6.filter((l) =>
      l === "+                                                               +"
    ).length,
    6,
  );
  assert.ok(ipv6.some((l) => /^\| +Source Address = 2001:db8::1 +\|$/.test(l)));
});

Deno.test("renderFieldTable() gives offset within the header, width, raw bits or hex, value and meaning", () => {
  const table = renderFieldTable(explainPacket(cleanSyn.bytes).layers[1]!);
  const rows = table.split("\n");
  assert.match(rows[0]!, /^Field +Offset +Bits +Raw +Value +Meaning$/);
  assert.match(
    table,
    /^Data Offset +12\.0 +4 +1010 +10 +10 words × 4 = 40 bytes: 20 bytes of options$/m,
  );
  assert.match(
    table,
    /^Window +14 +16 +00100000 00000000 +8192 +8192 bytes: the window of a SYN is never scaled/m,
  );
  assert.match(
    table,
    /^Option: Timestamps +26 +80 +0x080a0000 00010000 0000 +val 1 ecr 0 +kind 8, length 10/m,
  );
  assert.match(table, /^Option: NOP +36 +8 +00000001 +no-operation/m);
});

Deno.test("renderChecksumWork() prints one line per word when there are steps, and the verdict", () => {
  const work = explainPacket(pshAckOdd.bytes, { steps: true }).checksums[1]!;
  const text = renderChecksumWork(work);
  const lines = text.split("\n");
  const wordLines = lines.filter((l) =>
    /^ {4}0x[0-9a-f]{4} \+ 0x[0-9a-f]{4} = /.test(l)
  );
  assert.equal(wordLines.length, work.steps!.length);
  assert.match(text, /byte \d+ and a zero pad byte: data/);
  assert.match(
    text,
    new RegExp(
      `complement: ~0x[0-9a-f]{4} = 0x${
        work.computed!.toString(16).padStart(4, "0")
      }`,
    ),
  );
  assert.match(lines.at(-1)!, /^ {2}stored 0x[0-9a-f]{4}: correct$/);
  assert.doesNotMatch(
    renderChecksumWork(work, { steps: false }),
    /carry folded|\+ 0x/,
  );
});

Deno.test("hexDump() shows printable ASCII and a dot for every other byte", () => {
  const bytes = new Uint8Array(20).map((_, i) => i === 3 ? 0x1b : 0x41 + i);
  assert.equal(
    hexDump(bytes, { max: 18 }),
    [
      "0000  41 42 43 1b 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  ABC.EFGHIJKLMNOP",
      "0010  51 52                                             QR",
      "… 2 more bytes",
    ].join("\n"),
  );
});

Deno.test("renderExplanation() lets no control character of a packet reach the terminal", () => {
  const payload = new TextEncoder().encode(
    "\x1b[2J\x1b]0;owned\x07\r\nbell\x07\x9b\u202e",
  );
  const e = explainPacket(encodePacket(makeTcpPacket({
    src: "192.0.2.1",
    dst: "192.0.2.2",
    flags: 0x18,
    payload,
  })));
  const text = renderExplanation(e, { heading: ["title \x1b[31m"] });
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
  assert.match(text, /title \\x1b\[31m/);
  assert.match(
    text,
    /Data: 26 bytes "\\x1b\[2J\\x1b\]0;owned\\x07\\x0d\\x0abell/,
  );
  assert.match(
    text,
    /^ {2}0000 {2}1b 5b 32 4a 1b 5d 30 3b {2}6f 77 6e 65 64 07 0d 0a {2}\.\[2J\.\]0;owned\.\.\.$/m,
  );
  assert.equal(terminalSafe("\u0085\u2028"), "\\x85\\u2028");
});

Deno.test("renderExplanation() says so when there is no anomaly, and lists them when there are", () => {
  assert.match(
    renderExplanation(explainPacket(cleanSyn.bytes)),
    /^Anomalies: none$/m,
  );
  const text = renderExplanation(explainPacket(xmas.bytes), { diagram: false });
  assert.match(
    text,
    /^Anomalies \(2\)\n {2}xmas at byte 33: Christmas tree packet/m,
  );
  assert.doesNotMatch(text, /\+-\+-\+/, "no diagram");
  const empty: Explanation = {
    kind: "segment",
    length: 0,
    layers: [],
    checksums: [],
    anomalies: [],
    notes: ["a note"],
  };
  assert.equal(renderExplanation(empty), "\nAnomalies: none\nNote: a note\n");
});
