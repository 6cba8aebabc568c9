/**
 * Typed reads of a step's config for drivers. The validator has already checked the config against the
 * spec; these checks are the driver's own guard (drivers are also called from tests and other tools), and
 * fail with `config.invalid` naming the step and the key.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../yaml/json.js';
import { StepError, type StreamContext } from './driver.js';

export class StepConfig {
  constructor(
    readonly stepId: string,
    readonly config: JsonObject,
  ) {}

  static of(ctx: StreamContext): StepConfig {
    return new StepConfig(ctx.stepId, ctx.config);
  }

  has(key: string): boolean {
    const v = this.config[key];
    return v !== undefined && v !== null;
  }

  invalid(key: string, expected: string, hint?: string): StepError {
    const got = this.config[key];
    return new StepError(
      'config.invalid',
      `step '${this.stepId}': config '${key}' must be ${expected}, got ${JSON.stringify(got) ?? 'nothing'}`,
      hint,
      { details: { key } },
    );
  }

  string(key: string): string | undefined;
  string(key: string, fallback: string): string;
  string(key: string, fallback?: string): string | undefined {
    const v = this.config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string') throw this.invalid(key, 'a string');
    return v;
  }

  requiredString(key: string): string {
    const v = this.string(key);
    if (v === undefined || v.trim() === '')
      throw this.invalid(key, 'a non-empty string', `set '${key}' in the step config`);
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.string(key, fallback);
    if (!(allowed as readonly string[]).includes(v)) throw this.invalid(key, `one of ${allowed.join(', ')}`);
    return v as T;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw this.invalid(key, 'true or false');
    return v;
  }

  integer(key: string, min: number): number | undefined;
  integer(key: string, min: number, fallback: number): number;
  integer(key: string, min: number, fallback?: number): number | undefined {
    const v = this.config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
      throw this.invalid(key, `an integer ≥ ${min}`);
    return v;
  }

  /** A number greater than zero (seconds, ratios), or `fallback` when unset. */
  positiveNumber(key: string, fallback: number): number {
    const v = this.config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw this.invalid(key, 'a number > 0');
    return v;
  }

  stringList(key: string): string[] | undefined {
    const v = this.config[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return [v];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      throw this.invalid(key, 'a list of strings');
    return v as string[];
  }

  stringMap(key: string): Record<string, string> | undefined {
    const v = this.config[key];
    if (v === undefined || v === null) return undefined;
    if (!isJsonObject(v) || !Object.values(v).every((x: JsonValue) => typeof x === 'string'))
      throw this.invalid(key, 'a mapping of names to strings');
    return v as Record<string, string>;
  }
}
