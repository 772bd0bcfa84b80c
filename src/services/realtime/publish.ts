// Server-side publishing to the realtime hub: one history frame on a topic, delivered to every
// socket on it and kept for resume. For events after a commit use `deps.events` (the seam routes
// them to `admin`, `sync:{id}`, `server:{uuid}`); this is for a chosen topic and frame type.
import type { Deps } from "../../platform/deps.ts";

export async function publish(
  deps: Pick<Deps, "stubs">,
  topic: string,
  type: string,
  data: Record<string, unknown>,
): Promise<{ offset: number; id: string }> {
  return deps.stubs.realtimeHub(topic).publish(topic, type, data);
}

/**
 * A server's state change as it happens (a power signal accepted by the panel): `server.power` on
 * `server:{uuid}` and `admin`. Awaited but never failing the caller: a hub that cannot be reached
 * costs the live view one frame, not the action.
 */
export async function publishServerEvent(
  deps: Pick<Deps, "stubs">,
  serverUuid: string,
  type: string,
  data: Record<string, unknown>,
): Promise<void> {
  const frame = { serverUuid, ...data };
  await Promise.allSettled([
    publish(deps, `server:${serverUuid}`, type, frame),
    publish(deps, "admin", type, frame),
  ]);
}
