import { getOpenApiDocument } from "@/lib/openapi/document";

export const dynamic = "force-dynamic";

/**
 * The OpenAPI 3.1 description of the API (lib/openapi). Public: it describes the endpoints and
 * holds no data. Built once per process from the registry; caches may keep it for an hour.
 */
export function GET() {
  return Response.json(getOpenApiDocument(), { headers: { "cache-control": "public, max-age=3600", "access-control-allow-origin": "*" } });
}
