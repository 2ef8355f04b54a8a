import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import ApiReferencePage from "@/app/(console)/docs/api/page";
import { allOperations } from "./operations";

describe("the API reference page", () => {
  const html = renderToStaticMarkup(ApiReferencePage());

  it("has a section per operation with its auth, error codes and a curl example, and loads nothing from elsewhere", () => {
    for (const op of allOperations) expect(html, op.operationId).toContain(`id="${op.operationId}"`);
    const search = html.slice(html.indexOf('id="searchFaces"'), html.indexOf("</section>", html.indexOf('id="searchFaces"')));
    expect(search).toContain("scope <code>search</code>");
    expect(search).toContain("NO_FACE_FOUND");
    expect(search).toContain("curl -s http://localhost:3000/api/v1/search -H &quot;Authorization: Bearer $VIGIL_KEY&quot;");
    expect(html).not.toMatch(/<script|src="https?:|href="https?:\/\/(?!localhost)/);
  });

  it("links every schema it names to its section", () => {
    const anchors = new Set([...html.matchAll(/id="(schema-[^"]+)"/g)].map((m) => m[1]));
    const links = [...html.matchAll(/href="#(schema-[^"]+)"/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(50);
    expect(links.filter((l) => !anchors.has(l))).toEqual([]);
  });
});
