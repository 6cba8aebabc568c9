/**
 * Every built-in component, found by listing src/components/ (a new folder is covered the day it is added):
 * its spec passes strict validation and documents every field, and the config keys its driver reads are the
 * fields its spec declares. The keys are read from the driver's source — `cfg.string('key')`,
 * `cfg.boolean('key')`, … and `ctx.config.key` — in its folder and the Osiris modules it imports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { builtinComponentsRoot, discoverSpecFiles, validateSpecFile } from '../../../src/registry/load.js';

const ROOT = builtinComponentsRoot();
const SRC = resolve(ROOT, '..');
const COMPONENTS = discoverSpecFiles({ roots: [ROOT] });

/** A config key read through StepConfig (`cfg.boolean('header', true)`) or straight off `ctx.config`. */
const CONFIG_READ =
  /\bcfg\.(?:has|invalid|string|requiredString|boolean|integer|positiveNumber|stringList|stringMap|oneOf)(?:<[^>]*>)?\(\s*'([a-z_][a-z0-9_]*)'|\bctx\.config\.([a-z_][a-z0-9_]*)/g;

function keysIn(files: Iterable<string>): Set<string> {
  const keys = new Set<string>();
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(CONFIG_READ)) keys.add((m[1] ?? m[2]) as string);
  }
  return keys;
}

/** `file` and every Osiris source file it imports, transitively. */
function importClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of readFileSync(file, 'utf8').matchAll(/from\s+'(\.{1,2}\/[^']+)'/g)) {
    const target = resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts'));
    if (target.startsWith(SRC) && existsSync(target)) importClosure(target, seen);
  }
  return seen;
}

it('finds every component folder', () => {
  expect(COMPONENTS.map((c) => c.folder)).toEqual(
    expect.arrayContaining([
      'duckdb.processor',
      'filesystem.csv_writer',
      'mysql.extractor',
      'postgres.writer',
    ]),
  );
});

describe.each(COMPONENTS.map((c) => [c.folder, c] as const))('%s', (name, component) => {
  const spec = parse(readFileSync(component.specPath, 'utf8'));
  const props = spec.configSchema.properties as Record<string, { description?: string }>;

  it('passes strict validation (schema, examples, pointers, aliases)', () => {
    expect(validateSpecFile(component.specPath, 'strict')).toEqual([]);
  });

  it('documents every field, refuses unknown ones, and has examples and prompt guidance', () => {
    for (const [key, prop] of Object.entries(props)) expect(prop.description, key).toMatch(/\S{3}/);
    expect(spec.configSchema.additionalProperties).toBe(false);
    expect(spec.examples.length).toBeGreaterThan(0);
    expect(spec.llmHints.promptGuidance.length).toBeGreaterThan(50);
  });

  it('declares exactly the config keys its driver reads', () => {
    expect(component.driverPath, `${name} has no driver`).toBeDefined();
    const driver = component.driverPath as string;
    // Fields the runtime handles, not the driver: the connection reference and what a connection supplies.
    const connectionFields = (spec['x-connection-fields'] ?? []).map((f: string | { name: string }) =>
      typeof f === 'string' ? f : f.name,
    );
    // And keys kept for the Python original that do nothing here (x-no-effect, warning OML049).
    const noEffect = Object.keys(props).filter(
      (key) => (props[key] as { 'x-no-effect'?: string })['x-no-effect'] !== undefined,
    );
    // And `partition`: the runner splits a partitioned copy into jobs (src/runtime/partition/) before any driver runs.
    const runtime = new Set(['connection', 'partition', ...connectionFields, ...noEffect]);
    const read = keysIn(importClosure(driver));
    const unread = Object.keys(props).filter((key) => !runtime.has(key) && !read.has(key));
    expect(unread, `${name} declares fields its driver never reads`).toEqual([]);
    // Keys read in the component's own folder (shared runtime modules serve several components).
    const own = [...importClosure(driver)].filter((f) => f.startsWith(join(ROOT, name)));
    const undeclared = [...keysIn(own)].filter((key) => !(key in props));
    expect(undeclared, `${name}'s driver reads fields its spec does not declare`).toEqual([]);
  });
});
