import type { NextConfig } from "next";
import { SERVER_ACTION_BODY_BYTES } from "./lib/photo-files";

const nextConfig: NextConfig = {
  // Native addons are loaded from node_modules at run time, never bundled.
  serverExternalPackages: ["onnxruntime-node", "sharp", "@techstark/opencv-js", "@electric-sql/pglite", "@electric-sql/pglite-pgvector"],
  poweredByHeader: false,
  // Vendor paths end in a slash (sfx: /sfx-verify/v3/id-service/); a 308 redirect would break
  // POST clients that do not follow redirects.
  skipTrailingSlashRedirect: true,
  // forbidden() from next/navigation: a signed-in reviewer on an admin page gets a 403 page.
  // serverActions.bodySizeLimit: see lib/photo-files.ts (32 MiB: the photo forms check against it).
  experimental: { authInterrupts: true, serverActions: { bodySizeLimit: SERVER_ACTION_BODY_BYTES } },
};

export default nextConfig;
