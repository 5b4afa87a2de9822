/**
 * The output formatter (src/cli/output.ts): one interface, one
 * implementation per format, shared by every command; and the views of the
 * commands that print packets.
 */

import assert from "node:assert/strict";
import { encodePacket, makeTcpPacket } from "../mod.ts";
import {
  formatPacket,
  PACKET_OUTPUT_KINDS,
  PACKET_VIEW,
} from "../src/cli/format.ts";
import { createMemoryHost } from "../src/cli/host.ts";
import {
  createFormatter,
  type OutputKind,
  type OutputView,
  safeJson,
} from "../src/cli/output.ts";

interface Row {
  name: string;
  n: number | null;
}

const VIEW: OutputView<Row, number> = {
  header: "NAME  N",
  text: (row) => `${row.name.padEnd(4)}  ${row.n ?? "-"}`,
  separator: "--\n",
  textEnd: (total) => `${total} rows`,
  bytes: (row) => new TextEncoder().encode(row.name),
  json: (row) => ({ name: row.name, n: row.n }),
  jsonEnd: (total) => ({ total }),
  document: (rows, total) => ({
    rows: rows.map((row) => row.name),
    total,
  }),
  documentIndent: 2,
  csv: { columns: ["name", "n"], row: (row) => [row.name, row.n] },
  note: (total) => `${total} rows`,
};

function render(kind: OutputKind, rows: Row[][]): { out: string; err: string } {
  const host = createMemoryHost();
  const output = createFormatter(kind, host, VIEW);
  output.begin();
  for (const batch of rows) output.write(batch);
  output.end(rows.flat().length);
  return { out: host.out, err: host.err };
}

const ROWS: Row[][] = [[{ name: "a", n: 1 }], [{ name: "b,c", n: null }, {
  name: 'q"',
  n: 3,
}]];

Deno.test("text writes the header, each record as it comes with the separator between, and the ending, all on standard output", () => {
  assert.deepEqual(render("text", ROWS), {
    out: 'NAME  N\na     1\n--\nb,c   -\n--\nq"    3\n3 rows\n',
    err: "",
  });
});

Deno.test("hex writes a record's bytes per line and the summary on standard error", () => {
  assert.deepEqual(render("hex", ROWS), {
    out: "61\n622c63\n7122\n",
    err: "3 rows\n",
  });
});

Deno.test("ndjson writes a value per line, then the ending value, and the summary on standard error", () => {
  assert.deepEqual(render("ndjson", ROWS), {
    out:
      '{"name":"a","n":1}\n{"name":"b,c","n":null}\n{"name":"q\\"","n":3}\n{"total":3}\n',
    err: "3 rows\n",
  });
});

Deno.test("json writes one document at the end, indented as the view asks", () => {
  const { out, err } = render("json", ROWS);
  assert.equal(
    out,
    `${JSON.stringify({ rows: ["a", "b,c", 'q"'], total: 3 }, null, 2)}\n`,
  );
  assert.equal(err, "3 rows\n");
});

Deno.test("csv writes the column names, then rows, quoting fields as RFC 4180 says", () => {
  assert.deepEqual(render("csv", ROWS), {
    out: 'name,n\na,1\n"b,c",\n"q""",3\n',
    err: "3 rows\n",
  });
});

Deno.test("several records written together go out in one piece", () => {
  const writes: string[] = [];
  const output = createFormatter("text", {
    stdout: (text) => writes.push(text),
    stderr: () => {},
  }, { text: (n: number) => String(n) });
  output.write([1, 2, 3]);
  output.write([]);
  assert.deepEqual(writes, ["1\n2\n3\n"]);
});

Deno.test("a format the view cannot feed is refused when the formatter is made", () => {
  assert.throws(
    () => createFormatter("csv", createMemoryHost(), { text: String }),
    /Cannot format output as csv: the command's view has no csv/,
  );
});

Deno.test("safeJson() escapes the controls JSON.stringify leaves raw, and nothing else", () => {
  const value = { text: "a\u0085b\u202ec\u2028d", plain: "é ü 日本" };
  const text = safeJson(value);
  assert.equal(
    text,
    '{"text":"a\\u0085b\\u202ec\\u2028d","plain":"é ü 日本"}',
  );
  assert.deepEqual(JSON.parse(text), value);
  assert.equal(safeJson([1], 2), "[\n  1\n]");
});

Deno.test("the packet view writes each packet as formatPacket does, in every packet format", () => {
  const bytes = encodePacket(
    makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }),
  );
  for (const format of ["text", "hex", "json"] as const) {
    const host = createMemoryHost();
    const output = createFormatter(
      PACKET_OUTPUT_KINDS[format],
      host,
      PACKET_VIEW,
    );
    output.begin();
    output.write([bytes, bytes]);
    output.end(undefined);
    const line = `${formatPacket(bytes, format)}\n`;
    assert.equal(host.out, line + line);
    assert.equal(host.err, "");
  }
});
