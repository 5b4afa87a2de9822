/**
 * The portable hashes and MACs the signatures use, against the test vectors
 * of their RFCs and against independent implementations: Web Crypto
 * (SHA-1, HMAC-SHA-1, AES) and Python's hashlib and `cryptography` (MD5,
 * AES-CMAC) on random messages of every length around the block size.
 */

import assert from "node:assert/strict";
import { python, SCAPY } from "./_peers.ts";
import {
  aes128Encrypt,
  aesCmac,
  formatHex,
  hmacSha1,
  md5,
  parseHex,
  sha1,
} from "../mod.ts";

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("md5() gives RFC 1321's test suite (appendix A.5)", () => {
  const suite: [string, string][] = [
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
    [
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
      "d174ab98d277d9f5a5611c2c9f419d9f",
    ],
    [
      "1234567890".repeat(8),
      "57edf4a22be3c955ac49da2e2107b67a",
    ],
  ];
  for (const [message, digest] of suite) {
    assert.equal(formatHex(md5(text(message))), digest, message);
  }
});

Deno.test("md5() of parts is md5() of their concatenation", () => {
  const whole = text("The quick brown fox jumps over the lazy dog");
  assert.equal(
    formatHex(md5(whole.subarray(0, 10), whole.subarray(10))),
    "9e107d9d372bb6826bd81d3542a419d6",
  );
});

Deno.test("sha1() and hmacSha1() give FIPS 180's and RFC 2202's vectors", () => {
  assert.equal(
    formatHex(sha1(text("abc"))),
    "a9993e364706816aba3e25717850c26c9cd0d89d",
  );
  assert.equal(
    formatHex(
      sha1(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
    ),
    "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
  );
  const cases: [Uint8Array, Uint8Array, string][] = [
    [
      new Uint8Array(20).fill(0x0b),
      text("Hi There"),
      "b617318655057264e28bc0b6fb378c8ef146be00",
    ],
    [
      text("Jefe"),
      text("what do ya want for nothing?"),
      "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
    ],
    [
      new Uint8Array(20).fill(0xaa),
      new Uint8Array(50).fill(0xdd),
      "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
    ],
    [
      new Uint8Array(80).fill(0xaa),
      text("Test Using Larger Than Block-Size Key - Hash Key First"),
      "aa4ae5e15272d00e95705637ce8a3b55ed402112",
    ],
  ];
  for (const [key, data, mac] of cases) {
    assert.equal(formatHex(hmacSha1(key, data)), mac);
  }
});

Deno.test("aes128Encrypt() and aesCmac() give FIPS 197's and RFC 4493's vectors", () => {
  assert.equal(
    formatHex(aes128Encrypt(
      parseHex("000102030405060708090a0b0c0d0e0f"),
      parseHex("00112233445566778899aabbccddeeff"),
    )),
    "69c4e0d86a7b0430d8cdb78070b4c55a",
  );
  const key = parseHex("2b7e151628aed2a6abf7158809cf4f3c");
  const message = parseHex(
    "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51" +
      "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710",
  );
  const examples: [number, string][] = [
    [0, "bb1d6929e95937287fa37d129b756746"],
    [16, "070a16b46b4d4144f79bdd9dd04a287c"],
    [40, "dfa66747de9ae63030ca32611497c827"],
    [64, "51f0bebf7e3b9d92fc49741779363cfe"],
  ];
  for (const [length, mac] of examples) {
    assert.equal(formatHex(aesCmac(key, message.subarray(0, length))), mac);
  }
  assert.throws(() => aesCmac(new Uint8Array(15)), /AES-128 needs 16/);
});

/** Deterministic bytes for the cross-checks. */
function bytes(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Message lengths around the 64-byte block and padding boundaries. */
const LENGTHS = [0, 1, 15, 16, 17, 31, 32, 55, 56, 63, 64, 65, 119, 120, 200];

Deno.test("sha1(), hmacSha1() and aes128Encrypt() agree with Web Crypto", async () => {
  for (const length of LENGTHS) {
    const message = bytes(length, length);
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-1", message),
    );
    assert.equal(formatHex(sha1(message)), formatHex(digest), `${length}`);
    for (const keyLength of [1, 20, 64, 65, 80]) {
      const key = bytes(keyLength, 1000 + keyLength);
      const handle = await crypto.subtle.importKey(
        "raw",
        key,
        { name: "HMAC", hash: "SHA-1" },
        false,
        ["sign"],
      );
      const mac = new Uint8Array(
        await crypto.subtle.sign("HMAC", handle, message),
      );
      assert.equal(formatHex(hmacSha1(key, message)), formatHex(mac));
    }
  }
  for (let i = 0; i < 32; i++) {
    const key = bytes(16, 2000 + i);
    const block = bytes(16, 3000 + i);
    const handle = await crypto.subtle.importKey("raw", key, "AES-CBC", false, [
      "encrypt",
    ]);
    // CBC with a zero IV encrypts the first block alone.
    const out = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-CBC", iv: new Uint8Array(16) },
        handle,
        block,
      ),
    );
    assert.equal(
      formatHex(aes128Encrypt(key, block)),
      formatHex(out.subarray(0, 16)),
    );
  }
});

Deno.test({
  name: "md5() and aesCmac() agree with Python's hashlib and cryptography",
  ignore: !SCAPY,
  async fn() {
    const cases = LENGTHS.map((length, i) => ({
      message: formatHex(bytes(length, 4000 + i)),
      key: formatHex(bytes(16, 5000 + i)),
    }));
    const out = await python(
      `import sys, json, hashlib
from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import algorithms
for case in json.load(sys.stdin):
    m = bytes.fromhex(case["message"])
    c = cmac.CMAC(algorithms.AES(bytes.fromhex(case["key"])))
    c.update(m)
    print(hashlib.md5(m).hexdigest(), c.finalize().hex())`,
      cases,
    );
    const lines = out.trim().split("\n");
    cases.forEach((c, i) => {
      const [digest, mac] = lines[i]!.split(" ");
      assert.equal(formatHex(md5(parseHex(c.message))), digest);
      assert.equal(
        formatHex(aesCmac(parseHex(c.key), parseHex(c.message))),
        mac,
      );
    });
  },
});
