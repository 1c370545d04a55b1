// UTF-8 decoding for header values: QuickJS has no `TextDecoder`.

/** UTF-8 bytes (a `Uint8Array` or an array) as a string; QuickJS has no `TextDecoder`. */
export function decodeUtf8(bytes) {
  let out = "";
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    for (let i = 0; i < bytes.length; i += 4096) {
      out += String.fromCharCode.apply(null, bytes.slice(i, i + 4096));
    }
    return out;
  }
  for (let i = 0; i < bytes.length; ) {
    const b0 = bytes[i];
    let code = 0xfffd;
    let size = 1;
    if (b0 < 0x80) {
      code = b0;
    } else if (b0 >= 0xc2 && b0 <= 0xf4) {
      const need = b0 < 0xe0 ? 1 : b0 < 0xf0 ? 2 : 3;
      // The valid range of the second byte narrows for E0, ED, F0 and F4 (no overlongs,
      // no surrogates, nothing above U+10FFFF).
      const low = b0 === 0xe0 ? 0xa0 : b0 === 0xf0 ? 0x90 : 0x80;
      const high = b0 === 0xed ? 0x9f : b0 === 0xf4 ? 0x8f : 0xbf;
      let value = b0 & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
      let j = 1;
      for (; j <= need; j++) {
        const b = bytes[i + j];
        if (b === undefined || b < (j === 1 ? low : 0x80) || b > (j === 1 ? high : 0xbf)) break;
        value = (value << 6) | (b & 0x3f);
      }
      if (j > need) {
        code = value;
        size = need + 1;
      } else {
        size = j; // the maximal valid prefix becomes one U+FFFD, as TextDecoder does
      }
    }
    out += String.fromCodePoint(code);
    i += size;
  }
  return out;
}
