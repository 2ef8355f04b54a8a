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
  // The gallery's enroll form sends up to 30 MiB of photos in all, what the API's 40 MiB JSON
  // body (VIGIL_MAX_BODY_BYTES) carries as base64, and checks that total before uploading
  // (lib/search/enroll-photos.ts, whose SERVER_ACTION_BODY_BYTES must follow this value). Not
  // raised for five 15 MiB photos: the body is buffered before any action checks the session.
  experimental: { authInterrupts: true, serverActions: { bodySizeLimit: "32mb" } },
};

export default nextConfig;
