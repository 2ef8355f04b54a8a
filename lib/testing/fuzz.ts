import { deflateSync } from "node:zlib";
import type { Rng } from "@/lib/specimens/rng";

/**
 * Building blocks of malformed requests for the fault suite (lib/http/fuzz.test.ts): broken
 * JSON text, wrong values per field type, hostile strings, corrupt and lying image bytes,
 * bad base64, bad ids and bad credentials. Everything is drawn from a seeded `Rng`, so one
 * seed is one corpus.
 */

/** The kinds of fault the corpus is made of; each request belongs to exactly one. */
export const FAULT_CLASSES = ["json", "image-corrupt", "image-dimensions", "content-type", "oversized", "unicode", "base64", "bad-id", "bad-auth"] as const;
export type FaultClass = (typeof FAULT_CLASSES)[number];

// ---------------------------------------------------------------- strings

/** A hostile string; `rejectable` when no text field may ever accept it (it cannot be stored). */
export interface HostileString {
  label: string;
  value: string;
  rejectable: boolean;
}

export const HOSTILE_STRINGS: readonly HostileString[] = [
  { label: "rtl-override", value: "\u202Egpj.exe\u202C Ana", rejectable: false },
  { label: "rtl-marks", value: "\u200F\u05E9\u05DC\u05D5\u05DD\u200E \u0627\u0644\u0633\u0644\u0627\u0645", rejectable: false },
  { label: "zwj-family", value: "\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}", rejectable: false },
  { label: "zero-width", value: "\u200B\u200C\u200D\u2060\uFEFF", rejectable: false },
  { label: "emoji", value: "\u{1F600}\u{1F525}\u{1F4AF}\u{1F3F3}\uFE0F\u200D\u{1F308}", rejectable: false },
  { label: "lone-high-surrogate", value: "a\uD800b", rejectable: false },
  { label: "lone-low-surrogate", value: "\uDC00", rejectable: false },
  { label: "reversed-surrogates", value: "\uDE00\uD83D", rejectable: false },
  { label: "nul", value: "Ana\u0000Example", rejectable: true },
  { label: "only-nul", value: "\u0000", rejectable: true },
  { label: "trailing-nul", value: "per_\u0000", rejectable: true },
  { label: "10k-ascii", value: "x".repeat(10_000), rejectable: false },
  { label: "10k-emoji", value: "\u{1F600}".repeat(5_000), rejectable: false },
  { label: "10k-combining", value: `Z${"\u0351\u0352\u0357\u035B".repeat(2_500)}`, rejectable: false },
  { label: "c0-controls", value: "\u0001\u0007\b\u001B[31mred\u001B[0m\u007F", rejectable: false },
  { label: "noncharacters", value: "\uFFFE\uFFFF\u{10FFFF}", rejectable: false },
  { label: "bidi-isolates", value: "\u2066\u2067\u2068abc\u2069", rejectable: false },
  { label: "line-separators", value: "a\u2028b\u2029c\r\nd", rejectable: false },
  { label: "html", value: "<script>alert(1)</script><img src=x onerror=alert(1)>", rejectable: false },
  { label: "format-string", value: "%s%n%x%p{0}${7*7}{{7*7}}", rejectable: false },
  { label: "whitespace-only", value: " \t\n\u00A0\u3000 ", rejectable: false },
];

/** Path ids and lookups a caller may send; none of them names anything. */
export const BAD_IDS: readonly string[] = [
  "' OR '1'='1",
  "1; DROP TABLE persons; --",
  "per_' UNION SELECT secret_hash FROM api_keys --",
  "\\x27; SELECT pg_sleep(10); --",
  "../../../../etc/passwd",
  "..%2F..%2F..%2Fetc%2Fpasswd",
  "..\\..\\..\\windows\\win.ini",
  "images/../../staging",
  "%00",
  "\u0000",
  "per_\u0000",
  `per_${"a".repeat(10_000)}`,
  "z".repeat(100_000),
  "",
  " ",
  "per_00000000000000000000000000",
  "col_zzzzzzzzzzzzzzzzzzzzzzzzzz",
  "ver_01m8syny0gy7h5xe5v3dycfnem",
  "null",
  "undefined",
  "[object Object]",
  '{"$ne":null}',
  "*",
  "%",
  "_",
  "per_\u{1F600}",
  "\u202Eper_123",
  "a\uD800",
  "img_../../x",
  "face_../../../etc/passwd",
  "00000000-0000-0000-0000-000000000000",
  "-1",
  "1e999",
];

// ---------------------------------------------------------------- values

export type FieldType = "string" | "number" | "boolean" | "array" | "object";

export function fieldTypeOf(value: unknown): FieldType {
  if (Array.isArray(value)) return "array";
  if (value !== null && typeof value === "object") return "object";
  return typeof value === "number" ? "number" : typeof value === "boolean" ? "boolean" : "string";
}

const deep = (depth: number): unknown => {
  let v: unknown = "x";
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

/**
 * Values that are wrong for a field of `type`, as raw JSON text (so that numbers JSON.stringify
 * cannot write, such as 1e400, can be sent). `required`: nulls and empty strings are wrong
 * too; for an optional field they may mean "absent".
 */
export function wrongValues(type: FieldType, required: boolean): Array<{ label: string; json: string }> {
  const common = [
    { label: "object", json: '{"a":1}' },
    { label: "nested-200", json: JSON.stringify(deep(200)) },
    { label: "array-of-null", json: "[null]" },
    { label: "mongo-operator", json: '{"$ne":null,"$gt":""}' },
  ];
  const numbers = [
    { label: "huge", json: "1e308" },
    { label: "overflow", json: "1e400" },
    { label: "negative-huge", json: "-1e308" },
    { label: "unsafe-int", json: "9007199254740993" },
    { label: "denormal", json: "5e-324" },
    { label: "neg-zero", json: "-0" },
    { label: "long-digits", json: "1".repeat(400) },
  ];
  const nanStrings = ["NaN", "Infinity", "-Infinity", "1e999", "0x1F", "1_000", "   ", "0.5abc", "\u0661"].map((s) => ({ label: `str-${s.trim() || "blank"}`, json: JSON.stringify(s) }));
  const nullish = required ? [{ label: "null", json: "null" }, { label: "empty", json: '""' }] : [];
  switch (type) {
    case "string":
      return [...nullish, ...common, ...numbers.slice(0, 4), { label: "true", json: "true" }, { label: "string-array", json: '["a","b"]' }];
    case "number":
      return [...nullish, ...common, ...numbers, ...nanStrings, { label: "true", json: "true" }, { label: "number-array", json: "[0.7]" }];
    case "boolean":
      return [...nullish, ...common, { label: "string-true", json: '"true"' }, { label: "one", json: "1" }, { label: "huge", json: "1e400" }];
    case "array":
      return [
        ...nullish,
        { label: "object", json: '{"0":"a","length":1}' },
        { label: "string", json: '"a,b"' },
        { label: "number", json: "1e308" },
        { label: "nested-arrays", json: "[[[[[[]]]]]]" },
        { label: "array-of-numbers", json: "[1,2,3]" },
        { label: "array-of-objects", json: '[{"a":1}]' },
        { label: "array-of-null", json: "[null]" },
        { label: "array-of-empty", json: '[""]' },
        { label: "array-1000", json: JSON.stringify(Array.from({ length: 1000 }, (_, i) => `c${i}`)) },
      ];
    case "object":
      return [
        ...nullish,
        { label: "array", json: "[]" },
        { label: "string", json: '"{}"' },
        { label: "number", json: "42" },
        { label: "nested-200", json: JSON.stringify(deep(200)) },
        { label: "proto-key", json: '{"__proto__":{"polluted":"yes"}}' },
        { label: "constructor-key", json: '{"constructor":{"prototype":{"polluted":"yes"}}}' },
      ];
  }
}

// ---------------------------------------------------------------- JSON text

/** JSON text with `replacement` (raw JSON) in place of `field`'s value; `field` may be `a.b`. */
export function withField(template: Record<string, unknown>, field: string, replacement: string): string {
  const marker = "\u0001FUZZ\u0001";
  const copy = structuredClone(template);
  const path = field.split(".");
  let target: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
  target[path[path.length - 1]] = marker;
  return JSON.stringify(copy).replace(JSON.stringify(marker), replacement);
}

/** Syntactically broken or structurally wrong bodies, as raw text, from a valid template. */
export function brokenJson(template: Record<string, unknown>, rng: Rng): Array<{ label: string; text: string | Uint8Array }> {
  const text = JSON.stringify(template);
  const cuts = [1, 2, Math.floor(text.length / 2), text.length - 1, rng.int(3, Math.max(4, text.length - 2))];
  const fields = Object.keys(template);
  const someField = fields.length > 0 ? rng.pick(fields) : "x";
  const proto = `{"__proto__":{"polluted":"yes","isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}},${text.slice(1)}`;
  return [
    ...cuts.map((n) => ({ label: `truncated-at-${n}`, text: text.slice(0, n) })),
    { label: "empty", text: "" },
    { label: "whitespace", text: " \n\t " },
    { label: "null", text: "null" },
    { label: "number", text: "42" },
    { label: "string", text: '"hello"' },
    { label: "true", text: "true" },
    { label: "empty-array", text: "[]" },
    { label: "array-of-body", text: `[${text}]` },
    { label: "every-field-null", text: JSON.stringify(Object.fromEntries(fields.map((f) => [f, null]))) },
    { label: "deep-array-100k", text: `${"[".repeat(100_000)}${"]".repeat(100_000)}` },
    { label: "deep-object-20k", text: `${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}` },
    { label: `deep-in-${someField}`, text: withField(template, someField, `${"[".repeat(50_000)}${"]".repeat(50_000)}`) },
    { label: `duplicate-${someField}`, text: `${text.slice(0, -1)}${fields.length ? "," : ""}"${someField}":{"dup":true}}` },
    { label: "duplicate-keys-all", text: `${text.slice(0, -1)}${fields.length ? "," : ""}${fields.map((f) => `"${f}":[]`).join(",")}}` },
    { label: "proto-pollution", text: fields.length ? proto : '{"__proto__":{"polluted":"yes"}}' },
    { label: "proto-in-field", text: withField(template, someField, '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}') },
    { label: "trailing-comma", text: `${text.slice(0, -1)},}` },
    { label: "single-quotes", text: text.replace(/"/g, "'") },
    { label: "comments", text: `/* x */${text}// y` },
    { label: "nan-literal", text: withField(template, someField, "NaN") },
    { label: "bom", text: `\uFEFF${text}` },
    { label: "two-documents", text: `${text}${text}` },
    { label: "invalid-utf8", text: Buffer.concat([Buffer.from(text.slice(0, -1)), Buffer.from(',"x":"'), Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x90, 0x28, 0xbc, 0xff]), Buffer.from('"}')]) },
    { label: "raw-nul-byte", text: Buffer.concat([Buffer.from(text.slice(0, -1)), Buffer.from(',"x":"a'), Buffer.from([0]), Buffer.from('b"}')]) },
  ];
}

// ---------------------------------------------------------------- images

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array, corruptCrc = false): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE((crc32(Buffer.concat([head.subarray(4), data])) ^ (corruptCrc ? 1 : 0)) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number, colorType = 0): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width >>> 0, 0);
  data.writeUInt32BE(height >>> 0, 4);
  data[8] = 8; // bit depth
  data[9] = colorType; // 0 greyscale, 2 RGB, 6 RGBA
  return data;
}

/** A PNG whose header claims `width` x `height`, with valid CRCs and a few bytes of pixel data. */
export function pngClaiming(width: number, height: number, options: { corruptCrc?: boolean } = {}): Buffer {
  return Buffer.concat([PNG_SIGNATURE, pngChunk("IHDR", ihdr(width, height), options.corruptCrc), pngChunk("IDAT", deflateSync(Buffer.alloc(64))), pngChunk("IEND", Buffer.alloc(0))]);
}

/**
 * A real decompression bomb: a valid greyscale PNG of `width` x `height` black pixels whose
 * zlib stream inflates about a thousand times (8000 x 8000 is 64 MB of pixels in ~62 KB).
 */
export function deflateBombPng(width: number, height: number): Buffer {
  const raw = Buffer.alloc((width + 1) * height); // filter byte 0 + zero pixels per row
  return Buffer.concat([PNG_SIGNATURE, pngChunk("IHDR", ihdr(width, height)), pngChunk("IDAT", deflateSync(raw, { level: 9 })), pngChunk("IEND", Buffer.alloc(0))]);
}

/** A real JPEG whose frame header (SOFn) is rewritten to claim `width` x `height`; its scan data is the original's. */
export function jpegClaiming(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i + 9 < out.length; ) {
    if (out[i] !== 0xff) throw new Error("not a JPEG marker");
    const marker = out[i + 1];
    if (marker >= 0xc0 && marker <= 0xc3) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
    i += 2 + out.readUInt16BE(i + 2);
  }
  throw new Error("no frame header in the JPEG");
}

/** A real lossy WebP whose VP8 frame header is rewritten to claim `width` x `height` (each at most 16383). */
export function webpClaiming(webp: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(webp);
  const at = out.indexOf("VP8 ", 12, "latin1");
  // Chunk header (8), frame tag (3), start code 9d 01 2a (3), then 14-bit width and height.
  if (at < 0 || out[at + 11] !== 0x9d || out[at + 12] !== 0x01 || out[at + 13] !== 0x2a) throw new Error("not a lossy VP8 WebP");
  out.writeUInt16LE(width & 0x3fff, at + 14);
  out.writeUInt16LE(height & 0x3fff, at + 16);
  return out;
}

export function noiseBytes(rng: Rng, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = rng.int(0, 255);
  return out;
}

/** Known magic numbers followed by garbage: each format's decoder has to refuse it. */
export function magicWithGarbage(rng: Rng): Array<{ label: string; bytes: Buffer }> {
  const garbage = () => noiseBytes(rng, rng.int(16, 4096));
  const riff = (kind: string) => Buffer.concat([Buffer.from("RIFF"), Buffer.from([0xff, 0xff, 0, 0]), Buffer.from(`WEBP${kind}`), garbage()]);
  return [
    { label: "jpeg-magic", bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), garbage()]) },
    { label: "jpeg-soi-eoi", bytes: Buffer.from([0xff, 0xd8, 0xff, 0xd9]) },
    { label: "png-signature", bytes: Buffer.concat([PNG_SIGNATURE, garbage()]) },
    { label: "png-ihdr-then-garbage", bytes: Buffer.concat([PNG_SIGNATURE, pngChunk("IHDR", ihdr(300, 300, 2)), pngChunk("IDAT", garbage())]) },
    { label: "png-bad-crc", bytes: pngClaiming(300, 300, { corruptCrc: true }) },
    { label: "webp-vp8", bytes: riff("VP8 ") },
    { label: "webp-vp8l", bytes: riff("VP8L") },
    { label: "gif", bytes: Buffer.concat([Buffer.from("GIF89a"), garbage()]) },
    { label: "tiff", bytes: Buffer.concat([Buffer.from("II*\0"), garbage()]) },
    { label: "bmp", bytes: Buffer.concat([Buffer.from("BM"), garbage()]) },
    { label: "heic", bytes: Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from("ftypheic"), garbage()]) },
    { label: "avif", bytes: Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from("ftypavif"), garbage()]) },
    { label: "pdf", bytes: Buffer.from("%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF") },
    { label: "svg", bytes: Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="9999999" height="9999999"><circle r="9"/></svg>') },
    { label: "random", bytes: garbage() },
    { label: "zeros", bytes: Buffer.alloc(rng.int(1, 2048)) },
    { label: "one-byte", bytes: Buffer.from([0xff]) },
  ];
}

/** `bytes` cut at a random point strictly inside it. */
export function truncateAt(bytes: Buffer, rng: Rng, max = bytes.length - 2): { at: number; bytes: Buffer } {
  const at = rng.int(1, Math.max(1, max));
  return { at, bytes: bytes.subarray(0, at) };
}

/** `bytes` with `count` bytes replaced by random ones; the header is hit as often as the body. */
export function flipBytes(bytes: Buffer, rng: Rng, count: number): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < count; i++) {
    const at = rng.chance(0.5) ? rng.int(0, Math.min(out.length - 1, 600)) : rng.int(0, out.length - 1);
    out[at] ^= rng.int(1, 255);
  }
  return out;
}

// ---------------------------------------------------------------- base64

/** Image field values that are not base64 images, or not any image at all. */
export function badBase64(rng: Rng, small: Buffer): Array<{ label: string; value: string }> {
  const b64 = small.toString("base64");
  return [
    { label: "symbols", value: "@@@not-base64@@@" },
    { label: "empty-data-url", value: "data:image/png;base64," },
    { label: "data-url-garbage", value: "data:image/png;base64,%%%%" },
    { label: "data-url-html", value: `data:text/html;base64,${Buffer.from("<script>alert(1)</script>").toString("base64")}` },
    { label: "data-url-no-base64", value: "data:image/jpeg,rawbytes" },
    { label: "data-url-no-mime", value: `data:;base64,${b64}` },
    { label: "data-url-svg", value: `data:image/svg+xml;base64,${Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>").toString("base64")}` },
    { label: "double-data-url", value: `data:image/png;base64,data:image/png;base64,${b64}` },
    { label: "padding-inside", value: "QUJD==QUJD==" },
    { label: "only-padding", value: "====" },
    { label: "one-char", value: "A" },
    { label: "two-chars", value: "QQ" },
    { label: "mixed-alphabets", value: `${b64.slice(0, 40)}-_${b64.slice(40, 80)}+/` },
    { label: "whitespace", value: " \n\t\r " },
    { label: "embedded-nul", value: `${b64.slice(0, 20)}\u0000${b64.slice(20)}` },
    { label: "embedded-unicode", value: `${b64.slice(0, 20)}\u{1F600}${b64.slice(20)}` },
    { label: "hello-world", value: Buffer.from("hello world, not an image").toString("base64") },
    { label: "json-string", value: '{"image":"QUJD"}' },
    { label: "null-word", value: "null" },
    { label: "hex", value: small.toString("hex") },
    { label: "https-metadata", value: "https://169.254.169.254/latest/meta-data/iam" },
    { label: "http-localhost", value: "http://localhost:3000/api/health" },
    { label: "file-url", value: "file:///etc/passwd" },
    { label: "javascript-url", value: "javascript:alert(1)" },
    { label: "random-alphabet", value: noiseBytes(rng, 300).toString("latin1") },
    { label: "url-safe-random", value: noiseBytes(rng, 200).toString("base64url") },
  ];
}

// ---------------------------------------------------------------- multipart

/** A multipart body by hand, so that it can be broken in ways FormData cannot write. */
export function multipart(parts: Array<{ name: string; filename?: string; type?: string; data: string | Uint8Array }>, boundary = "fuzzBoundary7MA4YWxk"): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ""}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ""}\r\n`));
    chunks.push(Buffer.from(p.data));
    chunks.push(Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------- headers

/** A string as a header carries it: its UTF-8 bytes read as Latin-1 (what Node does on the wire). */
export function asHeaderValue(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1").replace(/[\0\r\n]/g, "");
}

/** Leaks an error body must never carry: stack frames, source paths, driver errors. */
export function leaks(text: string, paths: string[]): string | null {
  const patterns: Array<[string, RegExp]> = [
    ["stack frame", /\bat (?:[^\n]*?[(\s])?(?:file:\/\/|\/|node:)[^\s)]*:\d+:\d+/],
    ["stack frame", /\n\s+at /],
    ["source position", /\.(?:ts|tsx|js|mjs|cjs):\d+/],
    ["node_modules", /node_modules/],
    ["driver error", /DrizzleQueryError|Failed query|PGlite|SQLSTATE|syntax error at or near/i],
    ["error class", /\b(?:TypeError|RangeError|ReferenceError|SyntaxError):/],
  ];
  for (const [what, pattern] of patterns) if (pattern.test(text)) return what;
  for (const path of paths) if (path && text.includes(path)) return `path ${path}`;
  return null;
}
