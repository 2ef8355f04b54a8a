import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native addons are loaded from node_modules at run time, never bundled.
  serverExternalPackages: ["onnxruntime-node", "sharp", "@techstark/opencv-js", "@electric-sql/pglite", "@electric-sql/pglite-pgvector"],
  poweredByHeader: false,
  // Vendor paths end in a slash (sfx: /sfx-verify/v3/id-service/); a 308 redirect would break
  // POST clients that do not follow redirects.
  skipTrailingSlashRedirect: true,
  // forbidden() from next/navigation: a signed-in reviewer on an admin page gets a 403 page.
  // serverActions.bodySizeLimit: /verify uploads two photos of up to VIGIL_MAX_IMAGE_BYTES
  // (15 MiB) each in one server action; Next.js parses the whole body before the action runs.
  experimental: { authInterrupts: true, serverActions: { bodySizeLimit: "32mb" } },
};

export default nextConfig;
