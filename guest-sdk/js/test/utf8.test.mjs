// decodeUtf8 (QuickJS has no TextDecoder) against Node's TextDecoder, replacement included.
import assert from "node:assert/strict";
import { test } from "node:test";

import { decodeUtf8 } from "../src/utf8.js";

test("decodeUtf8 agrees with TextDecoder on valid and invalid input", () => {
  const decoder = new TextDecoder("utf-8");
  const encode = (s) => new TextEncoder().encode(s);
  const samples = ["", "ascii", "é", "€uro", "𝄞 clef", "日本語", "\u0000\u007f\u0080\u07ff\u0800\uffff"].map(
    encode,
  );
  samples.push(
    Uint8Array.of(0xff),
    Uint8Array.of(0xc0, 0x80),
    Uint8Array.of(0xe0, 0x80, 0x80),
    Uint8Array.of(0xed, 0xa0, 0x80),
    Uint8Array.of(0xf4, 0x90, 0x80, 0x80),
    Uint8Array.of(0xf0, 0x9f, 0x98),
    Uint8Array.of(0xe2, 0x82),
    Uint8Array.of(0x61, 0xc3),
    encode("x".repeat(10000)),
  );
  let seed = 1;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < 5000; i++) {
    const bytes = new Uint8Array(1 + Math.floor(random() * 12));
    for (let j = 0; j < bytes.length; j++) {
      bytes[j] = random() < 0.4 ? Math.floor(random() * 0x80) : 0x80 + Math.floor(random() * 0x80);
    }
    samples.push(bytes);
  }
  for (const bytes of samples) {
    const want = decoder.decode(bytes);
    assert.equal(decodeUtf8(bytes), want, `bytes ${[...bytes]}`);
    assert.equal(decodeUtf8([...bytes]), want, "plain arrays too");
  }
});
