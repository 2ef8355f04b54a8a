import "server-only";
import { hkdfSync } from "node:crypto";
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { getDb } from "@/db/client";
import { getEnv } from "@/lib/env";
import { isAppError } from "@/lib/errors";
import { getStorageKey } from "@/lib/storage/keys";
import { openSession, revokeSession } from "./sessions";
import { checkCredentials } from "./users";

/** Codes the sign-in form turns into messages (they travel in the URL: nothing sensitive). */
export class InvalidCredentials extends CredentialsSignin {
  code = "invalid_credentials";
}
export class SignInRateLimited extends CredentialsSignin {
  code = "rate_limited";
}

/**
 * The client address for the sign-in rate limit: the first X-Forwarded-For hop (Next.js sets
 * it from the socket; behind a proxy, the proxy must set it), else X-Real-IP.
 */
export function clientIp(headers: Headers): string {
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return (forwarded || headers.get("x-real-ip") || "unknown").slice(0, 64);
}

/**
 * The key that seals session cookies, derived from the storage key so a deployment has one
 * secret to manage, and every instance that shares the storage key accepts the same sessions.
 */
function authSecret(): string {
  return Buffer.from(hkdfSync("sha256", getStorageKey(), Buffer.alloc(0), "vigil console session v1", 32)).toString("base64url");
}

declare module "next-auth" {
  interface User {
    sessionId?: string;
  }
  interface Session {
    sessionId?: string;
  }
}

/**
 * next-auth with e-mail + password. The cookie only names a row of `sessions`
 * (lib/auth/sessions.ts); who the user is and what they may do is read from the database on
 * every request, so sign-out, disabling and expiry hold on every instance.
 */
export const { handlers, auth, signIn, signOut } = NextAuth(() => {
  const env = getEnv();
  return {
    secret: authSecret(),
    // Self-hosted behind whatever host name the operator gives it.
    trustHost: true,
    session: { strategy: "jwt", maxAge: env.VIGIL_SESSION_MAX_AGE_SECONDS },
    pages: { signIn: "/login" },
    providers: [
      Credentials({
        credentials: { email: {}, password: {} },
        async authorize(credentials, request) {
          const db = await getDb();
          const ip = clientIp(request.headers);
          try {
            const user = await checkCredentials(db, { email: String(credentials.email ?? ""), password: String(credentials.password ?? ""), ip });
            const sessionId = await openSession(db, user, { maxAgeSeconds: env.VIGIL_SESSION_MAX_AGE_SECONDS, ip, userAgent: request.headers.get("user-agent") });
            return { id: user.id, email: user.email, name: user.name, sessionId };
          } catch (error) {
            if (isAppError(error) && error.code === "SIGN_IN_RATE_LIMITED") throw new SignInRateLimited();
            if (isAppError(error) && error.code === "INVALID_CREDENTIALS") throw new InvalidCredentials();
            throw error;
          }
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user?.sessionId) token.sessionId = user.sessionId;
        return token;
      },
      session({ session, token }) {
        if (typeof token.sessionId === "string") session.sessionId = token.sessionId;
        return session;
      },
    },
    events: {
      async signOut(message) {
        const sessionId = "token" in message ? message.token?.sessionId : undefined;
        if (typeof sessionId === "string") await revokeSession(await getDb(), sessionId);
      },
    },
  };
});
