/**
 * The admin pages' project chooser: a GET form that puts `?project=` in the URL, so the
 * choice survives a reload and can be linked. `allLabel` adds an "every project" option.
 */
export function ProjectPicker({
  projects,
  selected,
  valueOf,
  allLabel,
  className = "actions",
}: {
  projects: Array<{ id: string; slug: string; name: string }>;
  selected: string;
  valueOf: "id" | "slug";
  allLabel?: string;
  className?: string;
}) {
  return (
    <form method="get" className={className} aria-label="Choose a project">
      <label>
        Project
        <select name="project" defaultValue={selected}>
          {allLabel ? <option value="">{allLabel}</option> : null}
          {projects.map((p) => (
            <option key={p.id} value={p[valueOf]}>
              {p.name} ({p.slug})
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Show</button>
    </form>
  );
}
