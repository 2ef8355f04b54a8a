import type { ReactNode } from "react";
import styles from "@/components/docs/api-reference.module.css";
import { getOpenApiDocument, SCHEMA_REF_PREFIX, TAGS } from "@/lib/openapi/document";
import { curlExample } from "@/lib/openapi/examples";
import { allOperations } from "@/lib/openapi/operations";
import type { AuthScheme, OperationSpec } from "@/lib/openapi/spec";

export const metadata = { title: "API reference · Vigil" };

/*
 * The API reference, rendered on the server from the same OpenAPI document /api/openapi.json
 * serves: no client script, no third-party assets. Open to anyone, like the document itself:
 * it describes endpoints and holds no data.
 */

type Schema = Record<string, unknown> & {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  items?: Schema | false;
  prefixItems?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  description?: string;
};

const AUTH_LABELS: Record<AuthScheme, string> = {
  apiKey: "API key: Authorization: Bearer or X-Api-Key",
  bearerOnly: "API key: Authorization: Bearer",
  basic: "HTTP Basic: project slug and API key",
  kairos: "Headers app_id (project slug) and app_key (API key)",
  sfx: "Headers Userid (project slug) and ApiKey (API key)",
  signedUrl: "The signed URL itself (no key)",
  metricsToken: "Authorization: Bearer VIGIL_METRICS_TOKEN",
  none: "None (public)",
};

const schemaAnchor = (name: string) => `schema-${name}`;

/** Text with `code spans`, as the registry's descriptions write them. */
function prose(text: string | undefined): ReactNode {
  if (!text) return null;
  return text.split(/`([^`]+)`/).map((part, i) => (i % 2 ? <code key={i}>{part}</code> : part));
}

function refName(ref: string): string {
  return ref.startsWith(SCHEMA_REF_PREFIX) ? ref.slice(SCHEMA_REF_PREFIX.length) : ref;
}

/** A short type label: links for components, `a | b` for unions, `X[]` for arrays. */
function typeLabel(schema: Schema | undefined): ReactNode {
  if (!schema || Object.keys(schema).filter((k) => k !== "description").length === 0) return "any";
  if (schema.$ref) {
    const name = refName(schema.$ref);
    return <a href={`#${schemaAnchor(name)}`}>{name}</a>;
  }
  if (schema.const !== undefined) return <code>{JSON.stringify(schema.const)}</code>;
  if (schema.enum) return <code>{schema.enum.map((v) => JSON.stringify(v)).join(" | ")}</code>;
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return joined(union.map((s) => typeLabel(s)));
  if (Array.isArray(schema.type)) return joined(schema.type.map((t) => typeLabel({ ...schema, type: t })));
  if (schema.type === "array") {
    if (schema.prefixItems) return <>[{joined(schema.prefixItems.map((s) => typeLabel(s)), ", ")}]</>;
    return <>{typeLabel(schema.items || undefined)}[]</>;
  }
  if (schema.type === "object" && !schema.properties && schema.additionalProperties && typeof schema.additionalProperties === "object") {
    return <>map of {typeLabel(schema.additionalProperties)}</>;
  }
  if (schema.type === "string" && typeof schema.contentMediaType === "string") return "file";
  return String(schema.type ?? "any");
}

function joined(parts: ReactNode[], separator = " | "): ReactNode {
  return parts.map((p, i) => (
    <span key={i}>
      {i > 0 ? separator : null}
      {p}
    </span>
  ));
}

/** Limits worth showing next to a type: lengths, ranges, patterns, defaults. */
function constraints(schema: Schema): string {
  const out: string[] = [];
  const n = (key: string) => (typeof schema[key] === "number" ? (schema[key] as number) : undefined);
  const range = (lo?: number, hi?: number, unit = "") => (lo !== undefined && hi !== undefined ? `${lo}-${hi}${unit}` : lo !== undefined ? `≥ ${lo}${unit}` : hi !== undefined ? `≤ ${hi}${unit}` : null);
  const maxInt = 9007199254740991;
  // z.number().int() carries the safe-integer range; only a real limit is worth showing.
  const numeric = range(n("minimum") === -maxInt ? undefined : n("minimum"), n("maximum") === maxInt ? undefined : n("maximum"));
  if (numeric) out.push(numeric);
  const length = range(n("minLength"), n("maxLength"), " chars");
  if (length) out.push(length);
  const items = range(n("minItems"), n("maxItems"), " items");
  if (items) out.push(items);
  if (typeof schema.pattern === "string" && schema.pattern.length < 40) out.push(`pattern ${schema.pattern}`);
  if (typeof schema.format === "string") out.push(schema.format);
  if (schema.default !== undefined) out.push(`default ${JSON.stringify(schema.default)}`);
  return out.join(", ");
}

interface Row {
  name: string;
  schema: Schema;
  required: boolean;
  depth: number;
}

/** The inline object a property holds (directly, nullable, or as array items), to list its fields too. */
function inlineObject(schema: Schema): { schema: Schema; suffix: string } | null {
  if (schema.properties) return { schema, suffix: "." };
  const union = (schema.anyOf ?? schema.oneOf)?.find((s) => s.properties);
  if (union) return { schema: union, suffix: "." };
  if (schema.type === "array" && schema.items && schema.items.properties) return { schema: schema.items, suffix: "[]." };
  return null;
}

function rowsOf(schema: Schema, prefix = "", depth = 0): Row[] {
  const rows: Row[] = [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    rows.push({ name: `${prefix}${name}`, schema: property, required: schema.required?.includes(name) ?? false, depth });
    const inner = inlineObject(property);
    if (inner && depth < 4) rows.push(...rowsOf(inner.schema, `${prefix}${name}${inner.suffix}`, depth + 1));
  }
  return rows;
}

function SchemaTable({ schema }: { schema: Schema }) {
  const rows = rowsOf(schema);
  if (rows.length === 0) {
    return (
      <p className="small">
        {typeLabel(schema)} {constraints(schema) ? <span className="muted">({constraints(schema)})</span> : null}
      </p>
    );
  }
  return (
    <table className={styles.table}>
      <thead>
        <tr>
          <th>Field</th>
          <th>Type</th>
          <th>Description</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.name}>
            <td className={row.depth > 0 ? styles.nested : undefined}>
              <code>{row.name}</code>
              {row.required ? null : <span className="muted"> optional</span>}
            </td>
            <td>
              {typeLabel(inlineObject(row.schema)?.schema === row.schema ? { type: "object" } : row.schema)}
              {constraints(row.schema) ? <div className="muted small">{constraints(row.schema)}</div> : null}
            </td>
            <td>{prose(row.schema.description)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface OpenApiResponse {
  description: string;
  content?: Record<string, { schema: Schema }>;
  "x-vigil-error-codes"?: string[];
}

function Operation({ op, doc }: { op: OperationSpec; doc: ReturnType<typeof getOpenApiDocument> }) {
  const described = doc.paths[op.path][op.method.toLowerCase()];
  const responses = Object.entries(described.responses) as unknown as Array<[string, OpenApiResponse]>;
  const parameters = described.parameters as Array<{ name: string; in: string; required: boolean; description?: string; schema: Schema }>;
  const body = described.requestBody as { required: boolean; description?: string; content: Record<string, { schema: Schema }> } | undefined;
  const success = responses.filter(([status, r]) => /^2/.test(status) && !r["x-vigil-error-codes"]);
  const errors = responses.filter(([, r]) => r["x-vigil-error-codes"]);
  return (
    <section id={op.operationId} className={`panel ${styles.operation}`}>
      <h3 className={styles.signature}>
        <span className={`${styles.method} ${styles[op.method.toLowerCase()]}`}>{op.method}</span>
        <code>{op.path}</code>
        <span>{op.summary}</span>
      </h3>
      <p className={styles.meta}>
        Auth: {AUTH_LABELS[op.auth.scheme]}
        {op.auth.scopes.length ? <> · scope {op.auth.scopes.map((s) => <code key={s}>{s}</code>).reduce<ReactNode[]>((acc, s, i) => (i ? [...acc, " or ", s] : [s]), [])}</> : null}
        {op.auth.scopeNote ? <> ({prose(op.auth.scopeNote)})</> : null} · <code>{op.operationId}</code>
      </p>
      {op.description ? <p className="small">{prose(op.description)}</p> : null}

      {parameters.length ? (
        <>
          <div className={styles.section}>Parameters</div>
          <table className={styles.table}>
            <tbody>
              {parameters.map((p) => (
                <tr key={`${p.in}-${p.name}`}>
                  <td>
                    <code>{p.name}</code> <span className="muted">{p.in}</span>
                    {p.required ? null : <span className="muted"> optional</span>}
                  </td>
                  <td>
                    {typeLabel(p.schema)}
                    {constraints(p.schema) ? <div className="muted small">{constraints(p.schema)}</div> : null}
                  </td>
                  <td>{prose(p.description)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}

      {body ? (
        <>
          <div className={styles.section}>Request body{body.description ? <>: {prose(body.description)}</> : null}</div>
          {Object.entries(body.content).map(([type, media]) => (
            <div key={type}>
              <p className="small">
                <code>{type}</code> {typeLabel(media.schema)}
              </p>
              <SchemaTable schema={resolve(doc, media.schema)} />
            </div>
          ))}
        </>
      ) : null}

      <div className={styles.section}>Responses</div>
      <table className={styles.table}>
        <tbody>
          {success.map(([status, r]) => (
            <tr key={status}>
              <td>
                <code>{status}</code>
              </td>
              <td>{r.content ? Object.values(r.content).map((m, i) => <span key={i}>{typeLabel(m.schema)}</span>) : "no body"}</td>
              <td>{r.description}</td>
            </tr>
          ))}
        </tbody>
      </table>

      {errors.length ? (
        <>
          <div className={styles.section}>Errors</div>
          <table className={styles.table}>
            <tbody>
              {errors.map(([status, r]) => (
                <tr key={status}>
                  <td>
                    <code>{status}</code>
                  </td>
                  <td>{r.content ? Object.values(r.content).map((m, i) => <span key={i}>{typeLabel(m.schema)}</span>) : null}</td>
                  <td>{r.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}

      <div className={styles.section}>Example</div>
      <pre className={styles.curl}>{curlExample(op)}</pre>
    </section>
  );
}

/** A component's own schema for a `$ref`, so request bodies show their fields in place. */
function resolve(doc: ReturnType<typeof getOpenApiDocument>, schema: Schema): Schema {
  return schema.$ref ? ((doc.components.schemas[refName(schema.$ref)] as Schema | undefined) ?? schema) : schema;
}

export default function ApiReferencePage() {
  const doc = getOpenApiDocument();
  const tags = TAGS.filter((t) => allOperations.some((op) => op.tag === t.name));
  const schemas = Object.entries(doc.components.schemas).sort(([a], [b]) => a.localeCompare(b)) as Array<[string, Schema]>;
  return (
    <main className="wide">
      <div className="page-head">
        <div>
          <h1>API reference</h1>
          <p className="muted">
            Vigil {String(doc.info.version)} · OpenAPI 3.1 at <a href="/api/openapi.json">/api/openapi.json</a> · generated from the zod schemas the routes use
          </p>
        </div>
      </div>
      <div className={styles.layout}>
        <nav className={styles.toc} aria-label="Operations">
          {tags.map((tag) => (
            <div key={tag.name}>
              <h2>{tag.name}</h2>
              {allOperations
                .filter((op) => op.tag === tag.name)
                .map((op) => (
                  <a key={op.operationId} href={`#${op.operationId}`}>
                    <span className={`${styles[op.method.toLowerCase()]}`}>{op.method}</span> {op.path}
                  </a>
                ))}
            </div>
          ))}
          <h2>
            <a href="#schemas">Schemas</a>
          </h2>
        </nav>
        <div>
          <section className="panel">
            <h2>Authentication</h2>
            <p className="small">
              Native endpoints take an API key as <code>Authorization: Bearer vgl_...</code> or <code>X-Api-Key</code>. Keys carry scopes (<code>verify</code>, <code>documents</code>,{" "}
              <code>search</code>); a key without the scope an operation needs gets <code>403 FORBIDDEN</code>. Vendor-shaped endpoints take the key in their vendor&apos;s scheme. Create keys with{" "}
              <code>npm run vigil -- key create --project acme --name backend</code> or on /admin/keys.
            </p>
            <h2>Errors</h2>
            <p className="small">
              Native errors are <code>{`{"error":{"code","message","details?"},"requestId"}`}</code> with a stable <a href={`#${schemaAnchor("ErrorCode")}`}>code</a>; each operation lists the codes it can answer
              and their statuses. <code>429 RATE_LIMITED</code> comes with <code>Retry-After</code>. Every answer carries <code>X-Request-Id</code>.
            </p>
          </section>
          {tags.map((tag) => (
            <div key={tag.name}>
              <h2 id={`tag-${tag.name}`}>{tag.name}</h2>
              <p className="muted">{prose(tag.description)}</p>
              {allOperations
                .filter((op) => op.tag === tag.name)
                .map((op) => (
                  <Operation key={op.operationId} op={op} doc={doc} />
                ))}
            </div>
          ))}
          <h2 id="schemas">Schemas</h2>
          {schemas.map(([name, schema]) => (
            <section key={name} id={schemaAnchor(name)} className={`panel ${styles.schema}`}>
              <h3>
                <code>{name}</code>
              </h3>
              {schema.description ? <p className="small">{prose(schema.description)}</p> : null}
              <SchemaTable schema={schema} />
            </section>
          ))}
        </div>
      </div>
    </main>
  );
}
