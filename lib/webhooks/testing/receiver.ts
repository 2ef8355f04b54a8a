import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { createServer } from "node:http";

/**
 * The README's receiver-side check, line for line (README.md, "Webhooks"): tests verify every
 * delivery with it, so the documented algorithm is the one that is tested.
 */
export function verifyVigilSignature(header: string, rawBody: string, secret: string, toleranceSeconds = 300): boolean {
  const fields = header.split(",").map((part) => part.trim().split("="));
  const t = Number(fields.find(([key]) => key === "t")?.[1]);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`).digest();
  return fields.some(([key, value]) => key === "v1" && /^[0-9a-f]{64}$/.test(value) && timingSafeEqual(Buffer.from(value, "hex"), expected));
}

export interface ReceivedDelivery {
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  deliveryId: string;
  receivedAt: number;
}

/** What the receiver does with a request: answer with a status, or never answer ("hang"). */
export type Answer = number | "hang";

export interface TestReceiver {
  /** http://127.0.0.1:<port> */
  url: string;
  received: ReceivedDelivery[];
  /** Requests for one delivery id, in order. */
  hitsOf(deliveryId: string): ReceivedDelivery[];
  /** Most requests for one delivery id that were being answered at the same time. */
  maxConcurrentPerDelivery(): number;
  /** Decides each answer by path (and how many requests that path had before this one); default 200. */
  answer: (path: string, nth: number) => Answer;
  /** Delay before answering, in ms (to make concurrent sends overlap). */
  delayMs: number;
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1 on a port the OS picks, recording every request. */
export async function startTestReceiver(): Promise<TestReceiver> {
  const hanging = new Set<ServerResponse>();
  const inFlight = new Map<string, number>();
  const perPath = new Map<string, number>();
  let maxConcurrent = 0;
  const receiver: TestReceiver = {
    url: "",
    received: [],
    hitsOf: (id) => receiver.received.filter((r) => r.deliveryId === id),
    maxConcurrentPerDelivery: () => maxConcurrent,
    answer: () => 200,
    delayMs: 0,
    close: async () => {
      for (const res of hanging) res.destroy();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
  const server = createServer((req, res) => {
    let rawBody = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (rawBody += chunk));
    req.on("end", () => {
      const path = req.url ?? "/";
      const deliveryId = String(req.headers["vigil-delivery"] ?? "");
      const nth = perPath.get(path) ?? 0;
      perPath.set(path, nth + 1);
      receiver.received.push({ path, headers: req.headers, rawBody, deliveryId, receivedAt: Date.now() });
      const concurrent = (inFlight.get(deliveryId) ?? 0) + 1;
      inFlight.set(deliveryId, concurrent);
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      const done = () => inFlight.set(deliveryId, (inFlight.get(deliveryId) ?? 1) - 1);
      const answer = receiver.answer(path, nth);
      if (answer === "hang") {
        hanging.add(res);
        res.on("close", done);
        return;
      }
      setTimeout(() => {
        done();
        res.writeHead(answer, { "content-type": "text/plain" }).end(answer < 300 ? "ok" : "no");
      }, receiver.delayMs);
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  receiver.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return receiver;
}
