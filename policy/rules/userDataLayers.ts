/**
 * EC2 user data decoded the way cloud-init decodes it: the text itself, base64
 * (the launch template encoding, MIME parts with `Content-Transfer-Encoding:
 * base64`, write_files `b64`), and gzip (whole user data, `gz+b64` files)
 * inside any of those, to a bounded depth and a bounded number of decoded
 * bytes. Every character is read a bounded number of times: linear in the user
 * data, whatever it holds. Never throws. Self-contained (node:zlib only).
 */
import { constants, inflateRawSync } from "node:zlib";

/** Layers of encoding followed; cloud-init itself nests no deeper in practice. */
const maxDepth = 5;
/** Bytes decoded per resource in all; a zip bomb stops here, not in the pack's memory. */
const maxDecodedBytes = 8 * 1024 * 1024;
/** Shorter base64 runs are words, not payloads (a base64 token alone is 32 characters). */
const minBase64Run = 24;
/** A wrapped base64 line (MIME: 76, PEM: 64) is at least this long; shorter lines end a block. */
const minWrappedLine = 40;

const isBase64Char = (code: number) =>
  (code >= 65 && code <= 90) ||
  (code >= 97 && code <= 122) ||
  (code >= 48 && code <= 57) ||
  code === 43 ||
  code === 47;
const isSpace = (code: number) => code === 32 || code === 9 || code === 10 || code === 13;

/**
 * Base64 blocks of a text: runs of the alphabet (with `=` padding), joined
 * across line breaks while the lines are full-length, as wrapped base64 is.
 */
export function base64Runs(text: string): string[] {
  const runs: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (!isBase64Char(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let block = "";
    for (;;) {
      const start = i;
      while (i < text.length && isBase64Char(text.charCodeAt(i))) i++;
      let end = i;
      while (end < text.length && text.charCodeAt(end) === 61 && end - i < 2) end++;
      const line = text.slice(start, end);
      block += line;
      i = end;
      // Continue onto the next line only after a full-length line and a line break.
      if (line.length < minWrappedLine || end > start + line.replace(/=+$/, "").length) break;
      let next = i;
      let sawBreak = false;
      while (next < text.length && isSpace(text.charCodeAt(next))) {
        if (text.charCodeAt(next) === 10) sawBreak = true;
        next++;
      }
      if (!sawBreak || next >= text.length || !isBase64Char(text.charCodeAt(next))) break;
      i = next;
    }
    if (block.length >= minBase64Run) runs.push(block);
  }
  return runs;
}

/** Inflates gzip, tolerating trailing bytes and truncation; undefined if it is not gzip. */
function gunzip(bytes: Buffer, budget: number): Buffer | undefined {
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b || bytes[2] !== 8) {
    return undefined;
  }
  const flags = bytes[3];
  let offset = 10;
  if (flags & 4) offset += 2 + bytes.readUInt16LE(offset);
  for (const flag of [8, 16]) {
    if (flags & flag) {
      while (offset < bytes.length && bytes[offset] !== 0) offset++;
      offset++;
    }
  }
  if (flags & 2) offset += 2;
  if (offset >= bytes.length) return undefined;
  try {
    return inflateRawSync(bytes.subarray(offset), {
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: Math.max(1, budget),
    });
  } catch {
    return undefined;
  }
}

/** One decoded layer: its text (bytes as latin1) and how it was reached, e.g. `base64 → gzip`. */
export interface UserDataLayer {
  readonly text: string;
  readonly encodings: readonly string[];
}

/** The user data and every layer decoded from it, outermost first. */
export function* userDataLayers(userData: string): Generator<UserDataLayer> {
  let budget = maxDecodedBytes;
  const queue: UserDataLayer[] = [{ text: userData, encodings: [] }];
  // An index, not shift(): shifting a long queue would make the scan quadratic.
  for (let next = 0; next < queue.length; next++) {
    const layer = queue[next];
    yield layer;
    if (layer.encodings.length >= maxDepth) continue;
    for (const run of base64Runs(layer.text)) {
      if (budget <= 0) break;
      const bytes = Buffer.from(run, "base64");
      const inflated = gunzip(bytes, budget);
      const payload = inflated ?? bytes;
      budget -= payload.length;
      queue.push({
        text: payload.toString("latin1"),
        encodings: [...layer.encodings, ...(inflated ? ["base64", "gzip"] : ["base64"])],
      });
    }
  }
}
