import { redirect } from "next/navigation";
import { LoginForm } from "@/components/auth/login-form";
import { getCurrentUser } from "@/lib/auth/guard";

export const dynamic = "force-dynamic";
export const metadata = { title: "Sign in · Vigil" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  if (await getCurrentUser()) redirect(next?.startsWith("/") && !next.startsWith("//") ? next : "/queue");
  return (
    <main className="login">
      <h1>Vigil</h1>
      <p className="lead">Sign in to the review console.</p>
      <LoginForm next={next ?? "/queue"} />
    </main>
  );
}
