// Test access to the demo panel started by global-setup: its own listings (the truth a sync
// must land), data mutations and fault injection.
import { inject } from "vitest";

const base = () => inject("panelUrl");

/** Every item of an application listing, read straight from the panel in one page. */
export async function panelAll<T = Record<string, unknown>>(path: string, include?: string): Promise<T[]> {
  const url = new URL(`${base()}/api/application${path}`);
  url.searchParams.set("per_page", "100000");
  if (include) url.searchParams.set("include", include);
  const res = await fetch(url, {
    headers: {
      authorization: `Bearer ${inject("panelApplicationKey")}`,
      accept: "application/json",
      "user-agent": "nodebyte-tests",
    },
  });
  if (!res.ok) throw new Error(`panel ${path}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { data: { attributes: T }[] };
  return body.data.map((d) => d.attributes);
}

export async function mutatePanel(op: string, ...args: unknown[]): Promise<unknown> {
  const res = await fetch(`${base()}/__mutate`, { method: "POST", body: JSON.stringify({ op, args }) });
  const body = (await res.json()) as { result?: unknown; error?: string };
  if (!res.ok) throw new Error(`mutate ${op}: ${body.error}`);
  return body.result;
}

export async function addFault(rule: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${base()}/__faults`, { method: "POST", body: JSON.stringify(rule) });
  if (!res.ok) throw new Error(`fault: ${await res.text()}`);
}

export async function clearFaults(): Promise<void> {
  await fetch(`${base()}/__faults`, { method: "DELETE" });
}

export async function panelStats(): Promise<{ total: number; pagesServed: number; faultsFired: number }> {
  return (await (await fetch(`${base()}/__stats`)).json()) as {
    total: number;
    pagesServed: number;
    faultsFired: number;
  };
}
