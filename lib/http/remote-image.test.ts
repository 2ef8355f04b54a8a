import { afterEach, describe, expect, it } from "vitest";
import { resetEnv } from "@/lib/env";
import { errorCodeOf } from "@/lib/testing/errors";
import { fetchRemoteImage, isPrivateAddress } from "./remote-image";

describe("image URLs", () => {
  afterEach(() => {
    delete process.env.VIGIL_REMOTE_IMAGES;
    resetEnv();
  });

  it("classifies private, loopback, link-local and mapped addresses as not public", () => {
    for (const address of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:7f00:1", "::ffff:a9fe:a9fe", "64:ff9b::a00:1"]) {
      expect(isPrivateAddress(address), address).toBe(true);
    }
    for (const address of ["8.8.8.8", "172.32.0.1", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "::ffff:808:808"]) {
      expect(isPrivateAddress(address), address).toBe(false);
    }
    expect(isPrivateAddress("not-an-ip")).toBe(true);
  });

  it("is off unless VIGIL_REMOTE_IMAGES is set", async () => {
    expect(await errorCodeOf(() => fetchRemoteImage("https://example.org/a.jpg"))).toBe("INVALID_IMAGE");
    await expect(fetchRemoteImage("https://example.org/a.jpg")).rejects.toThrow(/disabled/);
  });

  it("when on, refuses plain http, credentials and hosts that resolve to this machine", async () => {
    process.env.VIGIL_REMOTE_IMAGES = "1";
    resetEnv();
    await expect(fetchRemoteImage("http://example.org/a.jpg")).rejects.toThrow(/https/);
    await expect(fetchRemoteImage("https://user:pw@example.org/a.jpg")).rejects.toThrow(/credentials/);
    await expect(fetchRemoteImage("https://127.0.0.1/a.jpg")).rejects.toThrow(/private, loopback or link-local/);
    await expect(fetchRemoteImage("https://[::1]/a.jpg")).rejects.toThrow(/private, loopback or link-local/);
    await expect(fetchRemoteImage("https://[::ffff:127.0.0.1]/a.jpg")).rejects.toThrow(/private, loopback or link-local/);
    // A name, resolved before connecting: localhost is loopback.
    await expect(fetchRemoteImage("https://localhost/a.jpg")).rejects.toThrow(/private, loopback or link-local/);
    await expect(fetchRemoteImage("https://169.254.169.254/latest/meta-data")).rejects.toThrow(/private, loopback or link-local/);
  });
});
