// A floor for `npm run bench:servers`: the least any Worker in front of the panel costs under the
// same `wrangler dev` harness — it forwards the request to the panel's Client API as it came, with
// no authentication, database, budget or audit. The difference to it is our own work; the
// difference between it and calling the panel directly is the harness (wrangler's dev proxy and
// workerd's outbound fetch on this machine), which a deployed Worker does not pay.
type Env = { PANEL_URL: string };

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/health") return new Response("ok");
    const res = await fetch(`${env.PANEL_URL}${url.pathname}${url.search}`, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" ? undefined : await req.text(),
    });
    return new Response(res.body, { status: res.status, headers: res.headers });
  },
};
