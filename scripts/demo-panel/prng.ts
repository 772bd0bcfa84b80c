// Demo panel: the seeded pseudo-random source every generated value comes from (sfc32), plus the
// helpers built on it (ints, picks, UUIDs, Pterodactyl-style random strings).

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A version-4 UUID string built from the seeded stream. */
  uuid(): string;
  /** `length` characters of [A-Za-z0-9], like Laravel's Str::random. */
  alnum(length: number): string;
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX = "0123456789abcdef";

export function createRng(seed: number): Rng {
  // sfc32 seeded through splitmix32 so that nearby seeds give unrelated streams.
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const hex = (n: number) => {
    let out = "";
    for (let i = 0; i < n; i++) out += HEX[int(0, 15)];
    return out;
  };
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[int(0, items.length - 1)] as T;
    },
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${HEX[8 + int(0, 3)]}${hex(3)}-${hex(12)}`,
    alnum(length) {
      let out = "";
      for (let i = 0; i < length; i++) out += ALNUM[int(0, ALNUM.length - 1)];
      return out;
    },
  };
}
