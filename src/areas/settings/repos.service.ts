// The GitHub repository list (`github_repositories`, a JSON array) behind
// /api/admin/settings/repos: add, rename and remove one entry at a time. Each change is a
// compare-and-swap of the stored text with its audit row in the same statement, retried when
// another admin changed the list meanwhile (upstream read, modified and wrote without a lock).
import { sql } from "drizzle-orm";
import type { Deps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import { auditSelect } from "../../services/audit/audit.ts";
import { SETTINGS } from "../../services/settings/keys.ts";
import { isRepo, parseRepos } from "./settings-fields.ts";

const KEY = "github_repositories";
type RepoDeps = Pick<Deps, "db" | "actor">;

async function readRaw(deps: Pick<Deps, "db">): Promise<string | undefined> {
  const res = await deps.db.execute<{ value: string }>(sql`select value from config where key = ${KEY}`);
  return res.rows[0]?.value;
}

export async function listRepos(deps: Pick<Deps, "db">): Promise<string[]> {
  return parseRepos((await readRaw(deps)) ?? "");
}

function requireRepo(value: unknown): string {
  const repo = typeof value === "string" ? value.trim() : "";
  if (!isRepo(repo)) throw new AppError("INVALID_REQUEST", "Invalid repo format. Use owner/repo.");
  return repo;
}

/** Applies `change` to the current list with a compare-and-swap; returns the new list. */
async function update(
  deps: RepoDeps,
  action: string,
  details: Record<string, unknown>,
  change: (repos: string[]) => string[],
): Promise<string[]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    // Lost the race: back off a little (jittered) before reading again.
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    const raw = await readRaw(deps);
    const next = change(parseRepos(raw ?? ""));
    const value = JSON.stringify(next);
    const audit = auditSelect(
      { action, actor: deps.actor, targetType: "settings", targetId: KEY, details },
      sql`from w`,
    );
    const res =
      raw === undefined
        ? await deps.db.execute(sql`
            with w as (insert into config (key, value, description) values (${KEY}, ${value}, ${SETTINGS.github_repositories.description})
              on conflict (key) do nothing returning 1),
            a as (${audit})
            select count(*)::int as n from w`)
        : await deps.db.execute(sql`
            with w as (update config set value = ${value}, "updatedAt" = now() where key = ${KEY} and value = ${raw} returning 1),
            a as (${audit})
            select count(*)::int as n from w`);
    if (Number((res.rows[0] as { n?: number } | undefined)?.n ?? 0) > 0) return next;
  }
  throw new AppError("CONFLICT", "The repository list changed meanwhile; try again", { retryable: true });
}

export function addRepo(deps: RepoDeps, value: unknown): Promise<string[]> {
  const repo = requireRepo(value);
  return update(deps, "settings.repo_added", { repo }, (repos) => {
    if (repos.includes(repo)) throw new AppError("CONFLICT", "Repository already listed");
    return [...repos, repo];
  });
}

export function renameRepo(deps: RepoDeps, oldValue: unknown, value: unknown): Promise<string[]> {
  const from = requireRepo(oldValue);
  const to = requireRepo(value);
  return update(deps, "settings.repo_renamed", { from, to }, (repos) => {
    const i = repos.indexOf(from);
    if (i < 0) throw new AppError("NOT_FOUND", "Repository not found");
    if (from !== to && repos.includes(to)) throw new AppError("CONFLICT", "Repository already listed");
    return repos.map((r, j) => (j === i ? to : r));
  });
}

/** Removes exactly one entry: by name, or by its index in the list. */
export function removeRepo(deps: RepoDeps, by: { repo?: string; index?: number }): Promise<string[]> {
  if (by.repo === undefined && by.index === undefined) {
    throw new AppError("INVALID_REQUEST", "Name the repository: {repo}, ?repo= or ?index=");
  }
  const repo = by.repo === undefined ? undefined : requireRepo(by.repo);
  return update(deps, "settings.repo_removed", repo ? { repo } : { index: by.index }, (repos) => {
    const i = repo === undefined ? (by.index as number) : repos.indexOf(repo);
    if (i < 0 || i >= repos.length) throw new AppError("NOT_FOUND", "Repository not found");
    return repos.filter((_, j) => j !== i);
  });
}
