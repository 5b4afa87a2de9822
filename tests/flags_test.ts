import assert from "node:assert/strict";
import {
  flagNames,
  flagsFromNames,
  formatFlags,
  parseFlags,
  TCP_FLAG_LETTERS,
  TCP_FLAG_NAMES,
  TCP_FLAG_PRESETS,
  TCP_FLAGS,
  TCP_FLAGS_ALL,
} from "../mod.ts";

Deno.test("TCP_FLAGS holds the bits of RFC 9293 §3.1 and RFC 9768 (AE = 0x100)", () => {
  assert.deepEqual({ ...TCP_FLAGS }, {
    fin: 0x01,
    syn: 0x02,
    rst: 0x04,
    psh: 0x08,
    ack: 0x10,
    urg: 0x20,
    ece: 0x40,
    cwr: 0x80,
    ae: 0x100,
  });
  assert.equal(TCP_FLAGS_ALL, 0x1ff);
  assert.equal(TCP_FLAG_LETTERS, "FSRPAUECN");
  assert.deepEqual(
    TCP_FLAG_NAMES.map((name) => TCP_FLAGS[name]),
    [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x100],
  );
});

Deno.test("parseFlags() reads numbers in hex, decimal, binary and octal", () => {
  const cases: [string, number][] = [
    ["0x29", 0x29],
    ["0X29", 0x29],
    ["0x1ff", 0x1ff],
    ["41", 41],
    ["0", 0],
    ["511", 511],
    ["0b101001", 0x29],
    ["0B11", 3],
    ["0o51", 0x29],
    ["0O777", 0x1ff],
    [" 0x12 ", 0x12],
  ];
  for (const [text, mask] of cases) assert.equal(parseFlags(text), mask, text);
});

Deno.test("parseFlags() reads names joined by commas, plus signs, bars or spaces, in any case", () => {
  const cases: [string, number][] = [
    ["syn,ack", 0x12],
    ["syn, ack", 0x12],
    ["SYN+ACK", 0x12],
    ["FIN+PSH+URG", 0x29],
    ["fin|psh|urg", 0x29],
    ["fin psh urg", 0x29],
    ["ece", 0x40],
    ["ECE", 0x40],
    ["cwr", 0x80],
    ["ae", 0x100],
    ["ns", 0x100],
    ["syn,ns", 0x102],
    ["syn,syn", 0x02],
    ["fin,syn,rst,psh,ack,urg,ece,cwr,ae", 0x1ff],
  ];
  for (const [text, mask] of cases) assert.equal(parseFlags(text), mask, text);
});

Deno.test("parseFlags() reads capital letters FSRPAUECN, and '.' for none", () => {
  const cases: [string, number][] = [
    ["S", 0x02],
    ["SA", 0x12],
    ["AS", 0x12],
    ["FPU", 0x29],
    ["R", 0x04],
    ["RA", 0x14],
    ["N", 0x100],
    ["EC", 0xc0],
    ["AE", 0x50], // letters, as scapy reads them: ACK+ECE, not the AE flag
    ["NS", 0x102],
    ["FSRPAUECN", 0x1ff],
    ["SS", 0x02],
    [".", 0],
  ];
  for (const [text, mask] of cases) assert.equal(parseFlags(text), mask, text);
});

Deno.test("parseFlags() reads every preset, in any case", () => {
  assert.equal(TCP_FLAG_PRESETS.xmas, 0x29);
  assert.equal(TCP_FLAG_PRESETS.null, 0);
  assert.equal(TCP_FLAG_PRESETS.synack, 0x12);
  assert.equal(TCP_FLAG_PRESETS.maimon, 0x11);
  assert.equal(TCP_FLAG_PRESETS.full, 0x1ff);
  for (const [name, mask] of Object.entries(TCP_FLAG_PRESETS)) {
    assert.equal(parseFlags(name), mask, name);
    assert.equal(parseFlags(name.toUpperCase()), mask, name.toUpperCase());
  }
});

Deno.test("parseFlags() refuses what is not flags, saying what it accepts", () => {
  const hint =
    "use names (syn,ack), capital letters FSRPAUECN (SA), a number (0x12) or a preset (xmas, null, full)";
  const cases: [string, string][] = [
    [
      "",
      "empty; use names (syn,ack), letters (SA), a number (0x12) or a preset (xmas, null)",
    ],
    [
      "   ",
      "empty; use names (syn,ack), letters (SA), a number (0x12) or a preset (xmas, null)",
    ],
    ["0x200", "512 is more than 9 bits (maximum 0x1ff)"],
    ["512", "512 is more than 9 bits (maximum 0x1ff)"],
    [
      "syn,foo",
      'unknown flag "foo"; names are fin, syn, rst, psh, ack, urg, ece, cwr, ae',
    ],
    ["+", hint],
    ["syn;ack", hint],
    ["sa", hint],
    ["X", hint],
    ["0x", hint],
    ["-1", hint],
    ["1.5", hint],
    ["0b102", hint],
    ["..", hint],
  ];
  for (const [text, reason] of cases) {
    assert.throws(() => parseFlags(text), {
      name: "ParseError",
      message: `Cannot parse flags "${text}": ${reason}`,
    });
  }
});

Deno.test("formatFlags() writes letters lowest bit first, '.' for none, or names", () => {
  assert.equal(formatFlags(0x29), "FPU");
  assert.equal(formatFlags(0x12), "SA");
  assert.equal(formatFlags(0x1ff), "FSRPAUECN");
  assert.equal(formatFlags(0x100), "N");
  assert.equal(formatFlags(0), ".");
  assert.equal(formatFlags(0x29, "names"), "fin,psh,urg");
  assert.equal(
    formatFlags(0x1ff, "names"),
    "fin,syn,rst,psh,ack,urg,ece,cwr,ae",
  );
  assert.equal(formatFlags(0, "names"), "none");
});

Deno.test("formatFlags() output parses back to the same mask, for all 512 masks in both styles", () => {
  for (let mask = 0; mask <= TCP_FLAGS_ALL; mask++) {
    const letters = formatFlags(mask);
    const names = formatFlags(mask, "names");
    assert.equal(parseFlags(letters), mask, letters);
    assert.equal(parseFlags(names), mask, names);
    assert.equal(parseFlags(`0x${mask.toString(16)}`), mask);
    assert.equal(parseFlags(names.replaceAll(",", "+")), mask);
    // Capitals: names too, except "AE" alone, which reads as the letters A and E.
    if (mask !== TCP_FLAGS.ae) {
      assert.equal(
        parseFlags(names.replaceAll(",", " | ").toUpperCase()),
        mask,
      );
    }
    // Letters are written in bit order, once each.
    assert.equal(letters === "." ? 0 : letters.length, flagNames(mask).length);
  }
});

Deno.test("flagNames() and flagsFromNames() are inverses for all 512 masks", () => {
  for (let mask = 0; mask <= TCP_FLAGS_ALL; mask++) {
    const names = flagNames(mask);
    assert.equal(flagsFromNames(names), mask);
    assert.deepEqual(
      names,
      TCP_FLAG_NAMES.filter((_, bit) => (mask >> bit) & 1),
    );
  }
  assert.deepEqual(flagNames(0x29), ["fin", "psh", "urg"]);
  assert.equal(flagsFromNames([]), 0);
});
