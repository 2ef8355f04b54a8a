import { VerifyForm } from "@/components/verify/verify-form";
import { getDb } from "@/db/client";
import { requirePageUser } from "@/lib/auth/guard";
import { getEnv } from "@/lib/env";
import { listVerifyProjects } from "@/lib/verification/manual";

export const dynamic = "force-dynamic";
export const metadata = { title: "Verify · Vigil" };

export default async function VerifyPage() {
  await requirePageUser("/verify");
  const projects = await listVerifyProjects(await getDb());
  return (
    <main>
      <h1>Verify</h1>
      <p className="lead">
        For a customer who sent their photos by other means: upload the selfie and a reference photo, and the same checks as the API run
        here. The result opens as a record, with a review case when it lands in the review band.
      </p>
      {projects.length === 0 ? (
        <p role="alert">
          There is no project yet. Create one with <code>npm run vigil -- key create --project SLUG</code>, or start the server once to get
          the demo project.
        </p>
      ) : (
        <VerifyForm projects={projects} maxImageBytes={getEnv().VIGIL_MAX_IMAGE_BYTES} />
      )}
    </main>
  );
}
