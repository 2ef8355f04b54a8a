import { randomBytes } from "node:crypto";

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * A prefixed, time-ordered id (`ver_01j...`): 48 bits of milliseconds then 80 random bits,
 * Crockford base32, so ids sort by creation time and never collide in practice.
 */
export function newId(prefix: string, now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = randomBytes(16);
  let rand = "";
  for (let i = 0; i < 16; i++) rand += alphabet[random[i] % 32];
  return `${prefix}_${time}${rand}`;
}
