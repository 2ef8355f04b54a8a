import { describe, expect, it } from "vitest";
import { errorCodeOf } from "@/lib/testing/errors";
import { assertNoNulInForm, assertNoNulInJson, assertNoNulInUrl, findNul } from "./nul";

describe("NUL in requests", () => {
  it("finds the first string or key holding NUL, with its path", () => {
    expect(findNul({ name: "Ana", metadata: { notes: "a\u0000b" } })).toBe("metadata.notes");
    expect(findNul({ images: ["ok", "x\u0000"] })).toBe("images[1]");
    expect(findNul({ "k\u0000": 1 })).toBe("k\u0000");
    expect(findNul("\u0000")).toBe("");
    expect(findNul({ name: "Ana \u{1F600} \uD800", n: 1, b: null, list: [true, 2] })).toBeNull();
  });

  it("walks a body nested 100,000 deep without exhausting the stack", () => {
    const deep = JSON.parse(`${"[".repeat(100_000)}"\\u0000"${"]".repeat(100_000)}`);
    expect(findNul(deep)).toMatch(/^(\[0\]){100000}$/);
  });

  it("refuses JSON, form fields and URLs holding NUL as INVALID_REQUEST", async () => {
    expect(await errorCodeOf(() => assertNoNulInJson({ name: "\u0000" }))).toBe("INVALID_REQUEST");
    expect(await errorCodeOf(() => assertNoNulInForm({ externalRef: "a\u0000" }, []))).toBe("INVALID_REQUEST");
    expect(await errorCodeOf(() => assertNoNulInForm({}, ["selfie\u0000"]))).toBe("INVALID_REQUEST");
    expect(await errorCodeOf(() => assertNoNulInUrl("http://vigil.test/api/v1/persons/per_%00"))).toBe("INVALID_REQUEST");
    expect(await errorCodeOf(() => assertNoNulInUrl("http://vigil.test/api/v1/persons?collection=%00"))).toBe("INVALID_REQUEST");
    // Percent signs that decode to something else, and malformed escapes, are left alone.
    expect(await errorCodeOf(() => assertNoNulInUrl("http://vigil.test/api/v1/persons/%2500?x=%E0%A4%A"))).toBe("no error");
    expect(await errorCodeOf(() => assertNoNulInJson({ name: "\\u0000" }))).toBe("no error");
  });
});
