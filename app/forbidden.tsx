import Link from "next/link";

/** Rendered with HTTP 403 when a signed-in user lacks the role a page needs. */
export default function Forbidden() {
  return (
    <main>
      <h1>Access denied</h1>
      <p className="lead">This page needs the admin role. Your attempt was not carried out.</p>
      <Link href="/queue">Back to the queue</Link>
    </main>
  );
}
