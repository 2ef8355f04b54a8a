import { ProjectPicker } from "@/components/admin/project-picker";
import { ThresholdsEditor } from "@/components/admin/thresholds-editor";
import { ThresholdsHistory } from "@/components/admin/thresholds-history";
import { checkLabels } from "@/components/console/format";
import { getDb } from "@/db/client";
import { requirePageUser } from "@/lib/auth/guard";
import { actorNames } from "@/lib/review/queue";
import { listPolicyProjects, listPolicyVersions, POLICY_CHECKS } from "@/lib/thresholds/policies";
import { DEFAULT_BANDS } from "@/lib/verification/policy";

export const dynamic = "force-dynamic";
export const metadata = { title: "Thresholds · Admin · Vigil" };

/**
 * A project's approve / review / reject bands per check: the active version, an editor with a
 * backtest over past verifications, and the version history with rollback (admins only).
 */
export default async function ThresholdsPage({ searchParams }: { searchParams: Promise<{ project?: string }> }) {
  await requirePageUser("/admin/thresholds", "admin");
  const db = await getDb();
  const projects = await listPolicyProjects(db);
  const { project: wanted } = await searchParams;
  const project = projects.find((p) => p.slug === wanted || p.id === wanted) ?? projects[0];
  if (!project) {
    return (
      <main className="wide">
        <h1>Thresholds</h1>
        <p className="muted">No project yet. Create one with `npm run vigil -- key create --project NAME`.</p>
      </main>
    );
  }

  const versions = await listPolicyVersions(db, project.id);
  const names = await actorNames(db, versions.map((v) => v.author));
  const active = versions.find((v) => v.active);
  const activeVersion = active?.version ?? 0;
  const activeBands = active?.bands ?? DEFAULT_BANDS;
  const author = (actor: string) => names[actor] ?? actor;

  return (
    <main className="wide thresholds">
      <div className="page-head">
        <h1>Thresholds</h1>
        <ProjectPicker projects={projects} selected={project.slug} valueOf="slug" className="inline-form" />
      </div>
      <p className="muted">
        Each check&apos;s score decides its band: at or above “approve from” approves, at or above “review from” goes to a reviewer, below rejects. Every change is
        a new version with its author and reason; a verification keeps the version it was decided under.
      </p>

      <section className="panel" aria-labelledby="active-heading" data-testid="active-policy">
        <h2 id="active-heading">
          {project.name}: active policy v{activeVersion}
        </h2>
        {active ? (
          <p className="small">
            Saved {active.createdAt.toISOString().replace("T", " ").slice(0, 16)} UTC by {author(active.author)}: “{active.reason}”
          </p>
        ) : (
          <p className="small muted">No version saved yet: the defaults apply.</p>
        )}
        <table>
          <thead>
            <tr>
              <th scope="col">Check</th>
              <th scope="col">Reject below</th>
              <th scope="col">Review from</th>
              <th scope="col">Approve from</th>
            </tr>
          </thead>
          <tbody>
            {POLICY_CHECKS.map((check) => (
              <tr key={check} data-check={check}>
                <th scope="row">{checkLabels[check] ?? check}</th>
                <td>
                  <span className="badge reject">{activeBands[check].review}</span>
                </td>
                <td>
                  <span className="badge review">{activeBands[check].review}</span>
                </td>
                <td>
                  <span className="badge approve">{activeBands[check].approve}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <ThresholdsEditor key={project.id} projectId={project.id} activeVersion={activeVersion} activeBands={activeBands} checks={POLICY_CHECKS} />

      <ThresholdsHistory
        key={`history-${project.id}`}
        projectId={project.id}
        checks={POLICY_CHECKS}
        versions={versions.map((v) => ({ ...v, author: author(v.author), createdAt: v.createdAt.toISOString() }))}
      />
    </main>
  );
}
