// A bounded HTTP load loop for benches: `connections` workers issue GETs back to back against
// 127.0.0.1 for `seconds`, and report requests/s. Only loopback targets are accepted.
import { Agent, request } from "undici";

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
}

export async function runLoad(
  url: string,
  opts: { connections: number; seconds: number },
): Promise<LoadResult> {
  const target = new URL(url);
  if (target.hostname !== "127.0.0.1" && target.hostname !== "localhost") {
    throw new Error(`load tests only run against 127.0.0.1, not ${target.hostname}`);
  }
  const agent = new Agent({ connections: opts.connections, pipelining: 1 });
  const deadline = performance.now() + opts.seconds * 1000;
  let requests = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opts.connections }, async () => {
      while (performance.now() < deadline) {
        try {
          const res = await request(url, { dispatcher: agent });
          await res.body.arrayBuffer();
          if (res.statusCode === 200) requests++;
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  return { requests, errors, seconds, rps: requests / seconds };
}

/** Waits until `url` answers 200 (a freshly started `wrangler dev`). */
export async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}

/**
 * Loads each target in turn for `rounds` alternating rounds (so drift hits all of them alike)
 * and returns requests/s and errors per target name.
 */
export async function compareLoad(
  targets: Record<string, string>,
  opts: { connections: number; seconds: number; rounds: number },
): Promise<Record<string, { rps: number; errors: number }>> {
  const totals: Record<string, { n: number; s: number; e: number }> = {};
  for (const name of Object.keys(targets)) totals[name] = { n: 0, s: 0, e: 0 };
  for (let i = 0; i < opts.rounds; i++) {
    for (const [name, url] of Object.entries(targets)) {
      const r = await runLoad(url, { connections: opts.connections, seconds: opts.seconds });
      const t = totals[name] as { n: number; s: number; e: number };
      t.n += r.requests;
      t.s += r.seconds;
      t.e += r.errors;
    }
  }
  return Object.fromEntries(
    Object.entries(totals).map(([name, t]) => [name, { rps: t.n / t.s, errors: t.e }]),
  );
}
