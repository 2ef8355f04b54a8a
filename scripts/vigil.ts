/**
 * Vigil's command line: `npm run vigil -- <command> [args]`. Every command prints JSON.
 *
 *   detect <img>                 every face with box, score and five landmarks
 *   compare <a> <b>              similarity of the two subjects, with liveness of both
 *   liveness <img>               selfie liveness of the subject
 *   pairs <csv> [--root DIR]     one JSON line per `img1,img2[,label]` line
 *   key create --project SLUG    a new API key (the project is created if missing)
 *   key revoke <id|prefix>       revoke a key
 *   key list --project SLUG      keys of a project (never their secrets)
 *   audit verify                 check the audit trail's hash chain
 *   user add --email E --role R  a console user (admin | reviewer)
 *   user list                    console users (never their password hashes)
 *   gallery import <jsonl>       bulk-enroll persons from precomputed embeddings
 */
import { readFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { isAppError, toErrorBody } from "@/lib/errors";
import { analyzeFaces, compareFaces, cosineSimilarity } from "@/lib/inference";
import type { FaceAnalysis } from "@/lib/inference";
import { analysisToJson } from "@/lib/inference/serialize";
import type { Database } from "@/db/client";
import { getDatabase } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { createApiKey, createProject, getProjectBySlug, listApiKeys, revokeApiKey } from "@/lib/auth/api-keys";
import { createUser, emailSchema, generatePassword, listUsers, passwordSchema, roleSchema } from "@/lib/auth/users";
import { verifyAuditChain } from "@/lib/review/audit";
import { roundTo } from "@/lib/round";
import { docLivenessCli } from "@/lib/inference/document/cli";
import { specimensCli } from "@/lib/specimens";
import { bulkEnroll } from "@/lib/search/bulk";
import type { BulkPerson } from "@/lib/search/bulk";

const usage = `usage: npm run vigil -- <command>

  detect <img>                 faces with boxes, scores, landmarks and the subject's quality
  compare <a> <b>              cosine similarity of the two subjects, and their liveness
  liveness <img>               selfie liveness of the subject face
  pairs <csv> [--root DIR]     lines img1,img2[,label]; prints one JSON object per line

  key create --project SLUG [--name NAME] [--quota N]
                               a new API key, printed once (creates the project if missing)
  key revoke <id|prefix>       revoke a key
  key list --project SLUG      the project's keys: prefix, scopes, last use (never secrets)
  audit verify                 check that no audit event was changed or deleted
  migrate                      apply pending database migrations and prepare the 1:N search
                               index, then exit (servers also do this at start, one at a time)

  user add --email E --role admin|reviewer [--name N] [--password-stdin]
                               a console user; the password is read from stdin's first line
                               with --password-stdin, asked for twice on a terminal, or else
                               generated and printed once
  user list                    console users: role, disabled, last sign-in (never hashes)

  gallery import <file.jsonl> --project SLUG [--collection ID|CODE]
                               bulk-enroll persons for 1:N search from precomputed
                               embeddings, one JSON object per line:
                               {"name": "...", "externalRef": "...", "embeddings": [[512 numbers], ...]}

  doc-liveness <img> [--side front|back]
                               document liveness of one photo: score (null on an error),
                               error code, corners (clockwise from top-left) and every cue
  specimens --out DIR --seed N --count N [--kinds id1,passport] [--workers N]
                               synthetic ID cards and passport pages captured as genuine,
                               screen, print and digital, with labels.csv (file,label,corners)

The database is PGlite under ./data unless DATABASE_URL is set; PGlite allows one process,
so stop the server before using key, audit and user commands on the embedded database.`;

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function readImage(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch {
    throw new CliError(`cannot read ${path}`);
  }
}

class CliError extends Error {}


async function detect(file: string) {
  const analysis = await analyzeFaces(await readImage(file), { liveness: false });
  print(analysisToJson(analysis));
}

async function compare(a: string, b: string) {
  const result = await compareFaces(await readImage(a), await readImage(b));
  print({
    similarity: roundTo(result.similarity, 4),
    probe: analysisToJson(result.probe),
    reference: analysisToJson(result.reference),
    ms: result.timingsMs.total,
  });
}

async function liveness(file: string) {
  const analysis = await analyzeFaces(await readImage(file));
  print({ liveness: roundTo(analysis.subject.liveness ?? 0, 4), face: analysisToJson(analysis).subject, ms: analysis.timingsMs.total });
}

/** Parses `img1,img2[,label]` lines; a first line naming no image file is a header. */
export function parsePairsCsv(text: string): Array<{ img1: string; img2: string; label?: string }> {
  const rows = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("#"))
    .map((line) => line.split(",").map((cell) => cell.trim().replace(/^"(.*)"$/, "$1")));
  if (rows.length > 0 && !/\.(jpe?g|png|webp)$/i.test(rows[0][0] ?? "")) rows.shift();
  return rows.map((cells, i) => {
    if (cells.length < 2 || !cells[0] || !cells[1]) throw new CliError(`line ${i + 1}: expected img1,img2[,label]`);
    return { img1: cells[0], img2: cells[1], ...(cells[2] ? { label: cells[2] } : {}) };
  });
}

async function pairs(csv: string, root: string | undefined) {
  const rows = parsePairsCsv(await readFile(csv, "utf8").catch(() => Promise.reject(new CliError(`cannot read ${csv}`))));
  const resolve = (p: string) => (isAbsolute(p) || !root ? p : join(root, p));
  // Each image is analysed once, however many pairs it appears in.
  const cache = new Map<string, Promise<FaceAnalysis | { error: string }>>();
  const analyse = (path: string) => {
    let entry = cache.get(path);
    if (!entry) {
      entry = readImage(path)
        .then((bytes) => analyzeFaces(bytes))
        .catch((error: unknown) => ({ error: isAppError(error) ? error.code : error instanceof CliError ? error.message : "INTERNAL" }));
      cache.set(path, entry);
    }
    return entry;
  };
  for (const row of rows) {
    const started = performance.now();
    const [a, b] = await Promise.all([analyse(resolve(row.img1)), analyse(resolve(row.img2))]);
    const faces = (x: FaceAnalysis | { error: string }) => ("faces" in x ? x.faces.length : 0);
    const live = (x: FaceAnalysis | { error: string }) => ("subject" in x && x.subject.liveness !== null ? roundTo(x.subject.liveness, 4) : null);
    print({
      img1: row.img1,
      img2: row.img2,
      similarity: "subject" in a && "subject" in b ? roundTo(cosineSimilarity(a.subject.embedding, b.subject.embedding), 4) : null,
      faces1: faces(a),
      faces2: faces(b),
      liveness1: live(a),
      liveness2: live(b),
      ms: Math.round((performance.now() - started) * 10) / 10,
      ...(row.label !== undefined ? { label: row.label } : {}),
      ...("error" in a ? { error1: a.error } : {}),
      ...("error" in b ? { error2: b.error } : {}),
    });
  }
}

async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const handle = await getDatabase().catch((error: unknown) => {
    throw new CliError(error instanceof Error ? error.message : String(error));
  });
  try {
    return await work(handle.db);
  } finally {
    await handle.close();
  }
}

async function key(action: string | undefined, args: string[], values: { project?: string; name?: string; quota?: string }) {
  if (action === "create") {
    if (!values.project) throw new CliError("key create needs --project SLUG");
    const quota = values.quota === undefined ? null : Number(values.quota);
    if (quota !== null && (!Number.isInteger(quota) || quota <= 0)) throw new CliError("--quota must be a positive whole number");
    await withDatabase(async (db) => {
      let project = await getProjectBySlug(db, values.project!);
      if (!project) {
        project = await createProject(db, { slug: values.project!, name: values.project!, author: "cli" });
        console.error(`vigil: created project ${project.slug}`);
      }
      const { key: created, secret } = await createApiKey(db, { projectId: project.id, name: values.name ?? "cli", quota });
      print({ id: created.id, project: project.slug, name: created.name, prefix: created.prefix, quota: created.quota, secret });
      console.error("vigil: the secret is shown once; Vigil stores only its hash.");
    });
    return;
  }
  if (action === "revoke") {
    if (args.length !== 1) throw new CliError("key revoke takes a key id or prefix");
    await withDatabase(async (db) => {
      const revoked = await revokeApiKey(db, args[0]);
      if (!revoked) throw new CliError(`no active key ${args[0]}`);
      print({ id: revoked.id, prefix: revoked.prefix, revokedAt: revoked.revokedAt });
    });
    return;
  }
  if (action === "list") {
    if (!values.project) throw new CliError("key list needs --project SLUG");
    await withDatabase(async (db) => {
      const project = await getProjectBySlug(db, values.project!);
      if (!project) throw new CliError(`no project ${values.project}`);
      for (const k of await listApiKeys(db, project.id)) {
        print({ id: k.id, name: k.name, prefix: k.prefix, scopes: k.scopes, quota: k.quota, used: k.usedCount, lastUsedAt: k.lastUsedAt, revokedAt: k.revokedAt });
      }
    });
    return;
  }
  throw new CliError(`key takes create, revoke or list\n\n${usage}`);
}

/** The first line of stdin, without its line ending; "" when stdin ends first. */
async function readFirstLine(): Promise<string> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  try {
    for await (const line of lines) return line;
    return "";
  } finally {
    lines.close();
  }
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  // Raw before the prompt shows, so nothing typed after it is echoed.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  stdin.setEncoding("utf8");
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (outcome: () => void) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      outcome();
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return finish(() => resolve(value));
        if (ch === "\u0003") return finish(() => reject(new CliError("cancelled")));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else if (ch >= " ") value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

/** The new user's password, and whether Vigil generated it (then it is printed once). */
async function newPassword(fromStdin: boolean): Promise<{ password: string; generated: boolean }> {
  let password: string;
  if (fromStdin) {
    password = await readFirstLine();
  } else if (process.stdin.isTTY) {
    password = await promptHidden("Password: ");
    if ((await promptHidden("Password again: ")) !== password) throw new CliError("the passwords do not match");
  } else {
    return { password: generatePassword(), generated: true };
  }
  const checked = passwordSchema.safeParse(password);
  if (!checked.success) throw new CliError(checked.error.issues[0].message);
  return { password, generated: false };
}

async function user(action: string | undefined, args: string[], values: { email?: string; role?: string; name?: string; "password-stdin"?: boolean }) {
  if (args.length > 0) throw new CliError(`user ${action} takes options only, not '${args[0]}'\n\n${usage}`);
  if (action === "add") {
    if (!values.email) throw new CliError("user add needs --email E");
    const email = emailSchema.safeParse(values.email);
    if (!email.success) throw new CliError(`--email: '${values.email}' is not an e-mail address`);
    const role = roleSchema.safeParse(values.role);
    if (!role.success) throw new CliError("user add needs --role admin or --role reviewer");
    // Read before the database opens, so a bad password costs no migration.
    const { password, generated } = await newPassword(values["password-stdin"] === true);
    await withDatabase(async (db) => {
      const created = await createUser(db, { email: email.data, role: role.data, name: values.name, password });
      print({ id: created.id, email: created.email, role: created.role, ...(generated ? { password } : {}) });
      if (generated) console.error("vigil: the password is shown once; Vigil stores only its hash.");
    });
    return;
  }
  if (action === "list") {
    await withDatabase(async (db) => {
      for (const u of await listUsers(db)) {
        print({ id: u.id, email: u.email, name: u.name, role: u.role, disabled: u.disabledAt !== null, lastSignInAt: u.lastSignInAt, createdAt: u.createdAt });
      }
    });
    return;
  }
  throw new CliError(`user takes add or list\n\n${usage}`);
}

async function gallery(action: string | undefined, args: string[], values: { project?: string; collection?: string }) {
  if (action !== "import" || args.length !== 1) throw new CliError(`gallery takes import <file.jsonl>\n\n${usage}`);
  if (!values.project) throw new CliError("gallery import needs --project SLUG");
  const lines = (await readFile(args[0], "utf8")).split("\n").filter((l) => l.trim() !== "");
  const persons = lines.map((line, i) => {
    try {
      return JSON.parse(line) as BulkPerson;
    } catch {
      throw new CliError(`${args[0]} line ${i + 1} is not JSON`);
    }
  });
  await withDatabase(async (db) => {
    const project = await getProjectBySlug(db, values.project!);
    if (!project) throw new CliError(`no project '${values.project}'`);
    const result = await bulkEnroll(db, { projectId: project.id, actor: "system:cli", collections: values.collection ? [values.collection] : [], persons });
    print({ ...result, facesPerSecond: Math.round(result.faces / (result.ms.total / 1000)) });
  });
}

/** The migration step of a deployment, on its own: what every server also does when it starts. */
async function migrate() {
  const handle = await getDatabase().catch((error: unknown) => {
    throw new CliError(error instanceof Error ? error.message : String(error));
  });
  try {
    const [{ n }] = rowsOf<{ n: number }>(await handle.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`));
    print({ database: handle.kind, migrationsApplied: n, searchIndex: handle.searchIndex });
  } finally {
    await handle.close();
  }
}

async function audit(action: string | undefined) {
  if (action !== "verify") throw new CliError(`audit takes verify\n\n${usage}`);
  await withDatabase(async (db) => {
    const result = await verifyAuditChain(db);
    print({ events: result.checked, intact: result.brokenAt === null, brokenAt: result.brokenAt });
    if (result.brokenAt !== null) process.exitCode = 1;
  });
}

/** The command line's options; an unknown or malformed one is a usage error. */
function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        root: { type: "string" },
        project: { type: "string" },
        name: { type: "string" },
        quota: { type: "string" },
        email: { type: "string" },
        role: { type: "string" },
        collection: { type: "string" },
        "password-stdin": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
  }
}

async function main(argv: string[]): Promise<void> {
  // Commands with options of their own parse them themselves.
  if (argv[0] === "specimens") return specimensCli(argv.slice(1));
  if (argv[0] === "doc-liveness") {
    const rest = argv.slice(1);
    const sideAt = rest.indexOf("--side");
    const side = sideAt >= 0 ? rest.splice(sideAt, 2)[1] : "front";
    if (rest.length !== 1 || (side !== "front" && side !== "back")) throw new CliError(`doc-liveness takes one image [--side front|back]\n\n${usage}`);
    return docLivenessCli(rest[0], side);
  }
  const { positionals, values } = parseCommandLine(argv);
  const [command, ...args] = positionals;
  const need = (n: number) => {
    if (args.length !== n) throw new CliError(`${command} takes ${n} argument${n === 1 ? "" : "s"}\n\n${usage}`);
  };
  switch (command) {
    case "detect":
      need(1);
      return detect(args[0]);
    case "compare":
      need(2);
      return compare(args[0], args[1]);
    case "liveness":
      need(1);
      return liveness(args[0]);
    case "pairs":
      need(1);
      return pairs(args[0], values.root);
    case "key":
      return key(args[0], args.slice(1), values);
    case "audit":
      return audit(args[0]);
    case "migrate":
      need(0);
      return migrate();
    case "user":
      return user(args[0], args.slice(1), values);
    case "gallery":
      return gallery(args[0], args.slice(1), values);
    default:
      if (values.help || !command) {
        console.log(usage);
        return;
      }
      throw new CliError(`unknown command '${command}'\n\n${usage}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      if (error instanceof CliError) {
        console.error(`vigil: ${error.message}`);
        process.exit(64);
      }
      const { body } = toErrorBody(error);
      if (!isAppError(error)) console.error(error);
      print(body);
      process.exit(2);
    },
  );
}
