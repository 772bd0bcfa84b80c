// Durable Object classes as exported by the Worker: the same class with every method wrapped so
// that an error thrown (or rejected) inside it is reported once, tagged with the class and method,
// when SENTRY_DSN is set — the SDK (src/sentry.ts) is imported only then, and the report is
// flushed within the call's waitUntil. Without SENTRY_DSN a wrapped method only adds a try.
import type { Bindings } from "./platform/env.ts";

type DurableObjectClass = abstract new (ctx: DurableObjectState, env: Cloudflare.Env) => object;

const reported = new WeakSet<object>();

function report(self: object, err: unknown, durableObject: string, method: string): void {
  const { env, ctx } = self as { env?: Bindings; ctx?: DurableObjectState };
  if (!env?.SENTRY_DSN || !ctx) return;
  // A method calling another wrapped method would see the same error twice.
  if (typeof err === "object" && err !== null) {
    if (reported.has(err)) return;
    reported.add(err);
  }
  ctx.waitUntil(
    import("./sentry.ts")
      .then((m) => m.reportDurableObjectError(env, err, { durableObject, method }))
      .catch(() => {}),
  );
}

/** The class with its prototype methods (RPC methods, alarm, fetch) reporting what they throw. */
export function reportingDurableObject<T extends DurableObjectClass>(Base: T, name: string): T {
  // @ts-expect-error a mixin over an abstract constructor type
  class Reporting extends Base {}
  for (const method of Object.getOwnPropertyNames(Base.prototype)) {
    const descriptor = Object.getOwnPropertyDescriptor(Base.prototype, method);
    if (method === "constructor" || typeof descriptor?.value !== "function") continue;
    const original = descriptor.value as (...args: unknown[]) => unknown;
    const wrapped = function (this: object, ...args: unknown[]) {
      try {
        const result = original.apply(this, args);
        if (result instanceof Promise) {
          return result.catch((err: unknown) => {
            report(this, err, name, method);
            throw err;
          });
        }
        return result;
      } catch (err) {
        report(this, err, name, method);
        throw err;
      }
    };
    Object.defineProperty(wrapped, "name", { value: method });
    Object.defineProperty(Reporting.prototype, method, { ...descriptor, value: wrapped });
  }
  Object.defineProperty(Reporting, "name", { value: name });
  return Reporting as unknown as T;
}
