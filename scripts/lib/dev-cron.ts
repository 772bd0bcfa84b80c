// `npm run dev`'s stand-in for Cloudflare's cron triggers: wrangler dev never fires them, so the
// */5 cron (auto-sync and the sync watchdog that re-drives a lost chain) is hit through
// `--test-scheduled`'s /__scheduled endpoint once the worker answers, then every five minutes.
const CRON = "*/5 * * * *";
const EVERY_MS = 5 * 60_000;

export function startDevCron(workerUrl: string, log: (msg: string) => void = console.log): () => void {
  const url = `${workerUrl}/__scheduled?cron=${encodeURIComponent(CRON).replaceAll("%20", "+")}`;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const fire = async (): Promise<boolean> => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  };
  const loop = async () => {
    // On start: as soon as the worker answers (wrangler takes a few seconds to come up).
    for (let i = 0; i < 60 && !stopped; i++) {
      if (await fire()) {
        log(`[dev] cron ${CRON} fired on start (sync watchdog, auto-sync); again every 5 minutes`);
        break;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
    if (!stopped) timer = setInterval(() => void fire(), EVERY_MS);
  };
  void loop();
  return () => {
    stopped = true;
    if (timer) clearInterval(timer);
  };
}
