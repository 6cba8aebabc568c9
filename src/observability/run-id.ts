/**
 * Run ids: `YYYYMMDDTHHMMSSZ-<8 chars>`, e.g. `20250314T091502Z-0kz3m8qd`.
 *
 * - The first 16 characters are the UTC start time in ISO 8601 basic format.
 * - The 8-character suffix is lowercase Crockford base32 (`0-9a-z` without `i l o u`): 2 characters
 *   encode the millisecond (0–999), 6 characters (30 bits) are random.
 * - Ids therefore sort by start time to the millisecond as plain strings. Within one process, ids made in
 *   the same millisecond keep increasing (the random part is incremented), so one generator never repeats
 *   an id. Across processes uniqueness rests on 2^30 random values per millisecond.
 * - Ids are valid path segments and are used verbatim as run directory names.
 */
import { randomBytes } from 'node:crypto';

export const RUN_ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
export const RUN_ID_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-([0-9a-hjkmnp-tv-z]{8})$/;

const RANDOM_SPACE = 2 ** 30;

function base32(value: number, width: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < width; i++) {
    out = (RUN_ID_ALPHABET[v % 32] as string) + out;
    v = Math.floor(v / 32);
  }
  return out;
}

function stamp(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${p(date.getUTCFullYear(), 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}` +
    `T${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}Z`
  );
}

export type RunIdGenerator = (now?: Date) => string;

/** A generator with its own monotonic state. `random` returns a value in [0, 2^30) (injectable for tests). */
export function createRunIdGenerator(
  random: () => number = () => randomBytes(4).readUInt32BE(0) % RANDOM_SPACE,
): RunIdGenerator {
  let lastMs = -1;
  let lastRandom = 0;
  return (now = new Date()) => {
    let ms = now.getTime();
    if (Number.isNaN(ms)) throw new RangeError('run id: invalid date');
    let rand: number;
    if (ms === lastMs) {
      // Same millisecond: keep increasing from the last id.
      rand = lastRandom + 1;
      if (rand >= RANDOM_SPACE) {
        ms += 1;
        rand = random();
      }
    } else {
      rand = random();
    }
    lastMs = ms;
    lastRandom = rand;
    const date = new Date(ms);
    return `${stamp(date)}-${base32(date.getUTCMilliseconds(), 2)}${base32(rand, 6)}`;
  };
}

const defaultGenerator = createRunIdGenerator();

/** A new run id for `now` (default: the current time). */
export function newRunId(now?: Date): string {
  return defaultGenerator(now);
}

export function isRunId(value: string): boolean {
  return RUN_ID_PATTERN.test(value);
}

/** The start time encoded in a run id (millisecond precision), or undefined when it is not a run id. */
export function runIdTime(id: string): Date | undefined {
  const m = RUN_ID_PATTERN.exec(id);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, suffix] = m as unknown as string[];
  const ms =
    RUN_ID_ALPHABET.indexOf((suffix as string)[0] as string) * 32 +
    RUN_ID_ALPHABET.indexOf((suffix as string)[1] as string);
  if (ms > 999) return undefined;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms));
  return Number.isNaN(date.getTime()) ? undefined : date;
}
