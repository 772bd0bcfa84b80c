// The baseline for `npm run bench:http`: a bare Hono worker doing the same database work as our
// routes (one Neon HTTP query each) with no middleware, validation, drizzle or logging.
import { neon, neonConfig } from "@neondatabase/serverless";
import { Hono } from "hono";

type Env = { DATABASE_URL: string; NEON_FETCH_ENDPOINT: string };

const app = new Hono<{ Bindings: Env }>();

function sql(env: Env) {
  neonConfig.fetchEndpoint = env.NEON_FETCH_ENDPOINT;
  return neon(env.DATABASE_URL);
}

app.get("/health", async (c) => {
  await sql(c.env).query("select 1");
  return c.json({ status: "healthy" });
});

app.get("/api/panel/counts", async (c) => {
  const rows = await sql(c.env).query(
    `select (select count(*) from nodes)::int as nodes, (select count(*) from servers)::int as servers,
            (select count(*) from users)::int as users,
            (select count(*) from allocations where "isAssigned")::int as allocations,
            (select count(*) from nests)::int as nests`,
  );
  return c.json({ success: true, data: rows[0], message: "" });
});

export default app;
