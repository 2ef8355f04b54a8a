import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native addons are loaded from node_modules at run time, never bundled.
  serverExternalPackages: ["onnxruntime-node", "sharp"],
  poweredByHeader: false,
};

export default nextConfig;
