import "server-only";
import { lookup } from "node:dns/promises";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP } from "node:net";
import { AppError } from "@/lib/errors";
import { getEnv } from "@/lib/env";

/**
 * Addresses a fetch must never reach: this host, the private networks around it, link-local
 * (cloud metadata services live at 169.254.169.254), multicast and reserved ranges. An image
 * URL from a caller must not become a way to probe or reach the server's own network (SSRF).
 */
const blocked = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  blocked.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96], // NAT64 can reach private IPv4
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  blocked.addSubnet(network, prefix, "ipv6");
}

/** True when `address` is loopback, private, link-local, multicast or otherwise not public. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, "ipv4");
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return blocked.check(mapped[1], "ipv4");
    // The same IPv4-mapped address in hex, as URL parsing writes it (::ffff:7f00:1).
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
    if (hex) {
      const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
      return blocked.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, "ipv4");
    }
    return blocked.check(address, "ipv6");
  }
  return true;
}

export interface RemoteImageOptions {
  maxBytes: number;
  timeoutMs: number;
}

/**
 * Fetches an image a caller gave by URL, when VIGIL_REMOTE_IMAGES allows it: https only, the
 * host resolved once and every address checked, the connection pinned to a checked address
 * (so DNS rebinding cannot swap in a private one), no redirects, a byte limit enforced while
 * reading and a time limit for the whole exchange. Every refusal is INVALID_IMAGE or
 * IMAGE_TOO_LARGE with a message saying which rule.
 */
export async function fetchRemoteImage(url: string, options: Partial<RemoteImageOptions> = {}): Promise<Buffer> {
  const env = getEnv();
  if (!env.VIGIL_REMOTE_IMAGES) {
    throw new AppError("INVALID_IMAGE", "Image URLs are disabled on this server; send the image as base64.");
  }
  const maxBytes = options.maxBytes ?? env.VIGIL_MAX_IMAGE_BYTES;
  const timeoutMs = options.timeoutMs ?? env.VIGIL_REMOTE_IMAGE_TIMEOUT_MS;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new AppError("INVALID_IMAGE", "The image URL is not a valid URL.");
  }
  if (target.protocol !== "https:") throw new AppError("INVALID_IMAGE", "Image URLs must use https.");
  if (target.username || target.password) throw new AppError("INVALID_IMAGE", "Image URLs must not carry credentials.");
  const host = target.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true }).catch(() => []);
  if (addresses.length === 0) throw new AppError("INVALID_IMAGE", `The image URL's host ${host} could not be resolved.`);
  if (addresses.some((a) => isPrivateAddress(a.address))) {
    throw new AppError("INVALID_IMAGE", "The image URL points to a private, loopback or link-local address.");
  }
  const pinned = addresses[0];

  return new Promise<Buffer>((resolve, reject) => {
    const fail = (error: AppError) => {
      req.destroy();
      reject(error);
    };
    const req = httpsRequest(
      target,
      {
        method: "GET",
        headers: { accept: "image/jpeg, image/png, image/webp", "user-agent": "vigil-image-fetch" },
        // Connect to the address just checked, whatever DNS answers next (TLS still verifies the name).
        lookup: (_hostname, _options, callback) => callback(null, [{ address: pinned.address, family: pinned.family }] as never, pinned.family as never),
        timeout: timeoutMs,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400) return fail(new AppError("INVALID_IMAGE", "The image URL redirects; give the final URL."));
        if (status !== 200) return fail(new AppError("INVALID_IMAGE", `The image URL answered HTTP ${status}.`));
        const declared = Number(response.headers["content-length"]);
        if (Number.isFinite(declared) && declared > maxBytes) return fail(new AppError("IMAGE_TOO_LARGE", `The image is larger than ${maxBytes} bytes.`, { maxBytes }));
        const chunks: Buffer[] = [];
        let total = 0;
        response.on("data", (chunk: Buffer) => {
          total += chunk.length;
          if (total > maxBytes) fail(new AppError("IMAGE_TOO_LARGE", `The image is larger than ${maxBytes} bytes.`, { maxBytes }));
          else chunks.push(chunk);
        });
        response.on("end", () => resolve(Buffer.concat(chunks)));
        response.on("error", () => fail(new AppError("INVALID_IMAGE", "The image download failed.")));
      },
    );
    const deadline = setTimeout(() => fail(new AppError("INVALID_IMAGE", `The image URL did not answer within ${timeoutMs} ms.`)), timeoutMs);
    req.on("close", () => clearTimeout(deadline));
    req.on("timeout", () => fail(new AppError("INVALID_IMAGE", `The image URL did not answer within ${timeoutMs} ms.`)));
    req.on("error", () => reject(new AppError("INVALID_IMAGE", "The image URL could not be reached.")));
    req.end();
  });
}

/** An image field that may hold base64, a data URL or (when allowed) an https URL. */
export function isImageUrl(value: string): boolean {
  return /^https?:\/\//i.test(value.trim());
}
