/**
 * The explanation page without a browser: its script is the bundle as
 * `deno task bundle:page` makes it now, its Content-Security-Policy admits
 * that script and nothing else, nothing from a packet reaches its markup,
 * its packets explain exactly as `explain` explains them (a capture read
 * by the CLI or dropped on the page, hex, a bare segment, an Ethernet
 * frame), the page's own readers of hex and captures agree with the
 * CLI's, and `explain --html` refuses what `explain` refuses before it
 * writes any file. `tests/explain_html_browser_test.ts` opens the pages in
 * Chromium.
 */

import assert from "node:assert/strict";
import { bundleModuleText, scriptHash } from "../.ci/bundle_page.ts";
import { hostTarget, permissionFlags } from "../.ci/compile.ts";
import {
  encodePacket,
  LINKTYPE,
  makeTcpPacket,
  parseHex,
  PcapngWriter,
  PcapWriter,
  readCaptureBytes,
} from "../mod.ts";
import {
  PAGE_SCRIPT,
  PAGE_SCRIPT_SHA256,
} from "../src/explain/html/_bundle.ts";
import {
  decodePageData,
  encodePageData,
  entriesFromRecords,
  explainInput,
  isCaptureFile,
  notIpReason,
  type PageData,
  parsePastedHex,
} from "../src/explain/html/model.ts";
import { PAGE_CSP, renderPage } from "../src/explain/html/page.ts";
import { isCapture, parseHexInput } from "../src/cli/explain_input.ts";
import { toJsonValue } from "../src/cli/format.ts";
import { createMemoryHost, type MemoryHost } from "../src/cli/host.ts";
import { runCli } from "../src/cli/main.ts";
import { fixture, fixturePath } from "./fixtures/_tools.ts";

const ROOT = new URL("..", import.meta.url);
const XMAS_HEX =
  "45000028 00010000 4006f6a3 c000022a c0000201 0014029a 00000000 00000000 50292000 08e20000";
const CAPTURES = [
  "lo_ethernet.pcap",
  "tshark_lo.pcapng",
  "any_sll.pcap",
  "any_sll2.pcap",
  "editcap_comments.pcapng",
  "scapy_vlan.pcap",
  "scapy_null.pcap",
];

/** The data a page holds, read back from its HTML. */
function pageDataOf(html: string): PageData {
  const match =
    /<script type="application\/json" id="tcpcraft-data">([^<]*)<\/script>/
      .exec(html);
  assert.ok(match !== null, "the page has no data element");
  return decodePageData(match[1]!);
}

async function cli(
  args: string[],
  options: Parameters<typeof createMemoryHost>[0] = {},
): Promise<{ code: number; host: MemoryHost }> {
  const host = createMemoryHost(options);
  const code = await runCli(args, host, { version: "0" });
  return { code, host };
}

async function fileText(host: MemoryHost, path: string): Promise<string> {
  return new TextDecoder().decode(await host.readFile(path));
}

async function missing(host: MemoryHost, path: string): Promise<boolean> {
  try {
    await host.readFile(path);
    return false;
  } catch {
    return true;
  }
}

/** What `explain --format json` says of a packet, without the capture's facts. */
function explained(line: Record<string, unknown>): Record<string, unknown> {
  const keys = [
    "kind",
    "length",
    "tcp",
    "layers",
    "payload",
    "checksums",
    "anomalies",
    "notes",
  ];
  return Object.fromEntries(
    keys.filter((key) => key in line).map((key) => [key, line[key]]),
  );
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.trim().split("\n").filter((l) => l !== "").map((l) =>
    JSON.parse(l)
  );
}

Deno.test("the page's script is src/explain/html/ui/main.ts bundled as `deno task bundle:page` bundles it now", async () => {
  const committed = await Deno.readTextFile(
    new URL("src/explain/html/_bundle.ts", ROOT),
  );
  const fresh = await bundleModuleText();
  assert.ok(
    committed === fresh,
    "src/explain/html/_bundle.ts is stale: run `deno task bundle:page` (with the Deno its first line names) and commit it",
  );
});

Deno.test("the page's script takes every part of the library mod.ts exports", async () => {
  const parts = (text: string, from: string) =>
    [...text.matchAll(
      /^(?:export \* from|import \* as \w+ from) "([^"]+)";$/gm,
    )]
      .map((m) => new URL(m[1]!, new URL(from, ROOT)).href)
      .filter((url) => url.endsWith("/mod.ts"))
      .sort();
  const mod = await Deno.readTextFile(new URL("mod.ts", ROOT));
  const entry = "src/explain/html/ui/main.ts";
  const main = await Deno.readTextFile(new URL(entry, ROOT));
  assert.deepEqual(
    parts(main, entry),
    parts(mod, "mod.ts"),
    `${entry} must import each src/*/mod.ts that mod.ts exports (then run deno task bundle:page)`,
  );
});

Deno.test("the page's Content-Security-Policy admits its own script by hash, and the page names nothing to load", async () => {
  assert.equal(await scriptHash(PAGE_SCRIPT), PAGE_SCRIPT_SHA256);
  assert.match(PAGE_CSP, /^default-src 'none'; /);
  assert.ok(PAGE_CSP.includes(`script-src 'sha256-${PAGE_SCRIPT_SHA256}'`));
  assert.ok(!PAGE_CSP.includes("unsafe-inline'; script"));
  const html = renderPage({ title: "x", entries: [] });
  const head = html.slice(0, html.indexOf('<script type="module">'));
  assert.doesNotMatch(head, /\b(src|href)=|<link|<img|@import|url\(/i);
  const module = html.slice(html.indexOf('<script type="module">') + 22);
  assert.equal(module.slice(0, module.indexOf("</script>")), PAGE_SCRIPT);
});

Deno.test("nothing from a packet, a capture or a title reaches the page's markup", () => {
  const hostile =
    '</script><script>alert(1)</script><img src=x onerror="alert(2)">';
  const payload = new TextEncoder().encode(hostile);
  const bytes = encodePacket(makeTcpPacket({
    src: "192.0.2.1",
    dst: "192.0.2.2",
    srcPort: 1,
    dstPort: 2,
    flags: 0x18,
    payload,
  }));
  const data: PageData = {
    title: hostile,
    entries: [
      {
        kind: "packet",
        input: { bytes, notes: [hostile] },
        capture: {
          index: 1,
          seconds: 0,
          nanoseconds: 0,
          capturedLength: bytes.length,
          originalLength: bytes.length,
          linkType: LINKTYPE.RAW,
          comment: hostile,
        },
      },
      {
        kind: "skipped",
        reason: hostile,
        capture: {
          index: 2,
          seconds: 0,
          nanoseconds: 0,
          capturedLength: 1,
          originalLength: 1,
          linkType: 1,
        },
      },
    ],
    error: hostile,
  };
  const html = renderPage(data);
  assert.equal(html.match(/<script/g)?.length, 2);
  assert.equal(html.match(/<\/script/g)?.length, 2);
  assert.equal(html.match(/<img/g), null);
  assert.ok(!encodePageData(data).includes("<"));
  assert.deepEqual(pageDataOf(html), data);
});

Deno.test("a page explains every packet of a capture as explain --format json does, read by the CLI or dropped on the page", async () => {
  for (const name of CAPTURES) {
    const files = { [name]: fixture(name) };
    const json = await cli(
      ["explain", "--pcap", name, "--format", "json", "--steps"],
      { files },
    );
    assert.equal(json.code, 0, json.host.err);
    const page = await cli(["explain", "--pcap", name, "--html", "p.html"], {
      files,
    });
    assert.equal(page.code, 0, page.host.err);
    assert.equal(page.host.out, "");
    const data = pageDataOf(await fileText(page.host, "p.html"));
    assert.equal(data.title, name);
    const lines = jsonLines(json.host.out);
    assert.equal(data.entries.length, lines.length, name);
    data.entries.forEach((entry, i) => {
      const line = lines[i]!;
      assert.equal(entry.capture?.index, line.index, name);
      if (entry.kind === "skipped") {
        assert.equal(entry.reason, line.skipped, `${name} ${i + 1}`);
        return;
      }
      assert.deepEqual(
        toJsonValue(explainInput(entry.input)),
        explained(line),
        `${name} packet ${entry.capture?.index}`,
      );
    });
    // A capture dropped on the page is read into the same entries.
    const dropped = entriesFromRecords(readCaptureBytes(fixture(name)).records);
    assert.deepEqual(dropped, data.entries, name);
  }
});

Deno.test("explain --html with --filter keeps what the connection said before the packets it shows", async () => {
  const name = "lo_ethernet.pcap";
  const files = { [name]: fixture(name) };
  const args = ["explain", "--pcap", name, "--filter", "psh"];
  const json = await cli([...args, "--format", "json", "--steps"], { files });
  const page = await cli([...args, "--html", "p.html"], { files });
  const data = pageDataOf(await fileText(page.host, "p.html"));
  const lines = jsonLines(json.host.out);
  assert.ok(lines.length >= 2);
  assert.equal(data.entries.length, lines.length);
  let relative = 0;
  data.entries.forEach((entry, i) => {
    assert.equal(entry.kind, "packet");
    if (entry.kind !== "packet") return;
    const explanation = explainInput(entry.input);
    if (explanation.tcp?.relativeSeq !== undefined) relative++;
    assert.deepEqual(toJsonValue(explanation), explained(lines[i]!));
  });
  assert.equal(relative, lines.length, "every segment has its relative seq");
});

Deno.test("explain --html from hex, a bare segment, an Ethernet frame and standard input explains as explain does", async () => {
  const frame = "ffffffffffff 020000000001 0800 " + XMAS_HEX;
  const cases: [string[], string, Parameters<typeof createMemoryHost>[0]][] = [
    [XMAS_HEX.split(" "), "hex", {}],
    [
      [
        "--tcp",
        "--src",
        "192.0.2.42",
        "--dst",
        "192.0.2.1",
        "0014029a",
        "00000000",
        "00000000",
        "50292000",
        "08e20000",
      ],
      "hex",
      {},
    ],
    [["--tcp", "0014029a00000000000000005029200008e20000"], "hex", {}],
    [[frame], "hex", {}],
    [["-"], "hex from standard input", { stdin: `# xmas\n${XMAS_HEX}\n` }],
  ];
  for (const [args, title, options] of cases) {
    const json = await cli(
      ["explain", ...args, "--format", "json", "--steps"],
      options,
    );
    assert.equal(json.code, 0, json.host.err);
    const page = await cli(["explain", ...args, "--html", "p.html"], options);
    assert.equal(page.code, 0, page.host.err);
    const data = pageDataOf(await fileText(page.host, "p.html"));
    assert.equal(data.title, title);
    assert.equal(data.entries.length, 1);
    const entry = data.entries[0]!;
    assert.equal(entry.kind, "packet");
    if (entry.kind !== "packet") continue;
    assert.deepEqual(
      toJsonValue(explainInput(entry.input)),
      explained(jsonLines(json.host.out)[0]!),
      args.join(" "),
    );
  }
});

Deno.test("the page reads hex, tells captures from hex and names skipped packets as the CLI does", () => {
  const texts = [
    XMAS_HEX,
    "45:00:00:28",
    "0x45 0x00",
    "# a comment\n4500 # more\n0028",
    "IP 1.2.3.4 > 5.6.7.8: tcp\n\t0x0000:  4500 0028 0001 0000 4006 f6a3 c000 022a\n\t0x0010:  c000 0201",
    "45 zz",
    "450",
    "x".repeat(80),
    "",
  ];
  for (const text of texts) {
    let cliResult: Uint8Array | string;
    let pageResult: Uint8Array | string;
    try {
      cliResult = parseHexInput(text);
    } catch (error) {
      cliResult = String(error);
    }
    try {
      pageResult = parsePastedHex(text);
    } catch (error) {
      pageResult = String(error);
    }
    assert.deepEqual(pageResult, cliResult, JSON.stringify(text));
  }
  const magics = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
    [0x34, 0xcd, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xcd, 0x34],
    [0x0a, 0x0d, 0x0d, 0x0a],
    [0x45, 0x00, 0x00, 0x28],
    [0x0a, 0x0d, 0x0d],
  ];
  for (const magic of magics) {
    const bytes = new Uint8Array(magic);
    assert.equal(isCaptureFile(bytes), isCapture(bytes), magic.join(","));
  }
  const arp = new Uint8Array(42);
  arp.set([0x08, 0x06], 12);
  assert.equal(
    notIpReason({ linkType: LINKTYPE.ETHERNET, data: arp }),
    "not an IP datagram (link type 1, EtherType 0x0806): skipped",
  );
});

/** A pcap of one good packet, then a record cut short. */
function damagedPcap(): Uint8Array {
  const writer = new PcapWriter();
  const packet = parseHex(XMAS_HEX);
  const record = writer.packet(packet, { timestamp: 1000 });
  return new Uint8Array([
    ...writer.header(),
    ...record,
    ...record.subarray(0, 9),
  ]);
}

Deno.test("explain --html refuses what explain refuses, the same way, and writes no file", async () => {
  const good = { "x.pcap": damagedPcap().subarray(0, 24 + 16 + 40) };
  const cases: {
    args: string[];
    code: number;
    message: RegExp;
    options?: Parameters<typeof createMemoryHost>[0];
  }[] = [
    {
      args: ["zz"],
      code: 2,
      message: /^tcpcraft explain: HEX: cannot parse hex bytes "zz"/,
    },
    { args: ["--", ""], code: 2, message: /HEX: no hex bytes given/ },
    { args: ["99"], code: 1, message: /^error: Cannot decode IP header/ },
    {
      args: [XMAS_HEX, "--brief"],
      code: 2,
      message: /--html: conflicts with --brief/,
    },
    {
      args: [XMAS_HEX, "--format", "text"],
      code: 2,
      message: /--html: conflicts with --format text/,
    },
    {
      args: [XMAS_HEX, "--filter", "syn"],
      code: 2,
      message: /--filter: only for the packets of a capture/,
    },
    {
      args: ["--pcap", "nowhere.pcap"],
      code: 2,
      message: /--pcap: cannot read "nowhere.pcap"/,
    },
    {
      args: ["--pcap", "d.pcap"],
      code: 1,
      message:
        /^error: Cannot decode pcap file: record header at byte 80 is truncated/,
      options: { files: { "d.pcap": damagedPcap() } },
    },
    {
      args: ["--pcap", "x.pcap", "--index", "5"],
      code: 1,
      message: /--index 5: the capture has only 1 packet/,
      options: { files: good },
    },
    {
      args: ["-"],
      code: 2,
      message: /standard input holds no hex bytes/,
      options: { stdin: "\n" },
    },
    {
      args: ["-"],
      code: 1,
      message: /Cannot decode pcap file/,
      options: { stdin: damagedPcap() },
    },
  ];
  for (const { args, code, message, options } of cases) {
    const text = await cli(
      ["explain", ...args.filter((a) => a !== "--html")],
      options,
    );
    const page = await cli(
      ["explain", "--html", "out.html", ...args],
      options,
    );
    const label = args.join(" ");
    assert.equal(page.code, code, `${label}: ${page.host.err}`);
    assert.match(page.host.err, message, label);
    assert.ok(
      await missing(page.host, "out.html"),
      `${label}: a file was written`,
    );
    if (!args.includes("--brief") && !args.includes("--format")) {
      assert.equal(text.code, code, label);
      assert.equal(text.host.err, page.host.err, label);
    }
  }
});

Deno.test("explain --html - writes the page to standard output; a file that cannot be created is a usage error", async () => {
  const { code, host } = await cli([
    "explain",
    ...XMAS_HEX.split(" "),
    "--html",
    "-",
  ]);
  assert.equal(code, 0);
  assert.match(host.out, /^<!doctype html>\n/);
  assert.equal(pageDataOf(host.out).entries.length, 1);
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-all",
      "cli.ts",
      "explain",
      XMAS_HEX,
      "--html",
      "/nonexistent/dir/x.html",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 2);
  assert.match(
    new TextDecoder().decode(output.stderr),
    /^tcpcraft explain: --html: cannot write "\/nonexistent\/dir\/x.html": /,
  );
});

Deno.test("build --html writes the page of the packet it built, and prints what build prints", async () => {
  const args = [
    "build",
    "192.0.2.1",
    "-p",
    "666",
    "--src",
    "192.0.2.42",
    "-f",
    "xmas",
    "-o",
    "mss=1460",
  ];
  const plain = await cli(args);
  const hex = await cli([...args, "--format", "hex"]);
  const page = await cli([...args, "--html", "b.html"]);
  assert.equal(page.code, 0, page.host.err);
  assert.equal(page.host.out, plain.host.out);
  const data = pageDataOf(await fileText(page.host, "b.html"));
  assert.equal(data.title, "built packet");
  const entry = data.entries[0]!;
  assert.ok(entry.kind === "packet");
  assert.equal(
    [...entry.input.bytes].map((b) => b.toString(16).padStart(2, "0")).join(""),
    hex.host.out.trim(),
  );
  assert.deepEqual(
    explainInput(entry.input).tcp?.flagNames,
    ["fin", "psh", "urg"],
  );
});

Deno.test("the CLI writes a page with the binary's permissions, reading no file to do it (the bundle is a module)", async () => {
  const target = hostTarget();
  const dir = await Deno.makeTempDir({ prefix: "tcpcraft-html-" });
  try {
    const flags = target === undefined
      ? [`--allow-write=${dir}`]
      : permissionFlags(target).map((flag) =>
        flag === "--allow-read" ? `--allow-read=${dir}/none` : flag
      );
    for (
      const command of [
        ["explain", XMAS_HEX, "--html", `${dir}/e.html`],
        [
          "build",
          "192.0.2.1",
          "--src",
          "192.0.2.42",
          "--html",
          `${dir}/b.html`,
        ],
      ]
    ) {
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--no-prompt",
          "--no-lock",
          `--config=${new URL("deno.json", ROOT).pathname}`,
          ...flags,
          new URL("cli.ts", ROOT).pathname,
          ...command,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
      const html = await Deno.readTextFile(command.at(-1)!);
      assert.equal(pageDataOf(html).entries.length, 1);
      assert.ok(html.includes(PAGE_SCRIPT));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a pcapng comment and direction reach the page's capture facts", async () => {
  const writer = new PcapngWriter();
  const packet = parseHex(XMAS_HEX);
  const file = new Uint8Array([
    ...writer.header(),
    ...writer.packet(packet, {
      timestamp: { seconds: 5, nanoseconds: 7 },
      comment: "probe <1>",
      direction: "outbound",
    }),
  ]);
  assert.ok(isCaptureFile(file));
  const { code, host } = await cli(["explain", "-", "--html", "c.html"], {
    stdin: file,
  });
  assert.equal(code, 0, host.err);
  const entry = pageDataOf(await fileText(host, "c.html")).entries[0]!;
  assert.deepEqual(entry.capture, {
    index: 1,
    seconds: 5,
    nanoseconds: 7,
    capturedLength: 40,
    originalLength: 40,
    linkType: LINKTYPE.RAW,
    direction: "outbound",
    comment: "probe <1>",
  });
});

Deno.test("explain --html --help shows the option", async () => {
  const { host } = await cli(["explain", "--help"]);
  assert.match(host.out, /--html FILE +write one self-contained HTML page/);
  const build = await cli(["build", "--help"]);
  assert.match(
    build.host.out,
    /--html FILE +write one self-contained HTML page/,
  );
  assert.ok(fixturePath("lo_ethernet.pcap").endsWith("lo_ethernet.pcap"));
});
