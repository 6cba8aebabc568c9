/**
 * Files crossing the protocol: input files the steps read (host → worker) and files the writers produced
 * (worker → host), always as paths relative to the project root (POSIX separators), in base64 chunks.
 */
import { createReadStream, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import type { LoadedManifest } from '../compiler/manifest.js';
import type { ResolvedConnection } from '../runtime/driver.js';
import { resolveSourceFile } from '../runtime/file-output.js';
import { FILE_CHUNK_BYTES } from './protocol.js';

const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));

/** `root/rel` when `rel` is a plain relative path that stays inside root; undefined otherwise. */
export function hostPathOf(root: string, rel: string): string | undefined {
  if (!rel || isAbsolute(rel) || rel.includes('\0') || rel.includes('\\')) return undefined;
  const norm = normalize(rel);
  if (norm === '.' || norm.startsWith('..')) return undefined;
  const abs = resolve(root, norm);
  const back = relative(resolve(root), abs);
  return back && !back.startsWith('..') && !isAbsolute(back) ? abs : undefined;
}

/** A file as `file` message bodies (seq, data, last); an empty file is one empty chunk. */
export async function* readChunks(abs: string): AsyncGenerator<{ seq: number; data: string; last: boolean }> {
  let seq = 0;
  let pending: Buffer | undefined;
  for await (const chunk of createReadStream(abs, { highWaterMark: FILE_CHUNK_BYTES })) {
    if (pending) yield { seq: seq++, data: pending.toString('base64'), last: false };
    pending = chunk as Buffer;
  }
  yield { seq, data: (pending ?? Buffer.alloc(0)).toString('base64'), last: true };
}

/** Components whose config names a file they read, and the key that names it. */
const INPUT_FILE_KEYS: Record<string, string> = { 'filesystem.csv_extractor': 'path' };

export class InputFileError extends Error {
  constructor(
    readonly stepId: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The files a worker needs to read, found from the steps' configs: relative to the project root so the
 * worker can lay them out the same way under its own folder. A path outside the project, or a glob, cannot
 * be shipped: that is an error naming the step.
 */
export function inputFiles(
  loaded: LoadedManifest,
  projectRoot: string,
  connectionOf: (stepId: string) => ResolvedConnection | undefined,
): { path: string; abs: string }[] {
  const files = new Map<string, string>();
  for (const step of loaded.steps) {
    const key = INPUT_FILE_KEYS[step.component];
    const value = key ? step.config[key] : undefined;
    if (typeof value !== 'string') continue;
    if (/[*?[]/.test(value))
      throw new InputFileError(
        step.id,
        `step '${step.id}': config.${key} '${value}' is a glob; only single files are sent to a worker`,
      );
    const abs = resolveSourceFile(projectRoot, value, step.config, connectionOf(step.id));
    const rel = relative(resolve(projectRoot), abs);
    if (!rel || rel.startsWith('..') || isAbsolute(rel))
      throw new InputFileError(
        step.id,
        `step '${step.id}': config.${key} '${value}' is outside the project, so it cannot be sent to a worker`,
      );
    if (existsSync(abs) && statSync(abs).isFile()) files.set(toPosix(rel), abs);
  }
  return [...files].map(([path, abs]) => ({ path, abs }));
}

/** Files under `abs` (itself when a file), as [relative-to-root path, absolute path, bytes]. */
export function filesUnder(root: string, abs: string): { path: string; abs: string; bytes: number }[] {
  if (!existsSync(abs)) return [];
  const st = statSync(abs);
  if (st.isFile()) return [{ path: toPosix(relative(root, abs)), abs, bytes: st.size }];
  if (!st.isDirectory()) return [];
  return readdirSync(abs).flatMap((name) => filesUnder(root, join(abs, name)));
}

/**
 * The project's own components the build uses (folders under `<root>/components/`): spec, driver and what
 * lies beside them travel with the run, so the worker's registry finds them as a local run does.
 */
export function projectComponentFiles(
  loaded: LoadedManifest,
  projectRoot: string,
  specPathOf: (component: string) => string | undefined,
): { path: string; abs: string }[] {
  const userRoot = join(resolve(projectRoot), 'components');
  const dirs = new Set<string>();
  for (const step of loaded.steps) {
    const spec = specPathOf(step.component);
    if (spec && relative(userRoot, spec).split(sep).length === 2) dirs.add(dirname(spec));
  }
  return [...dirs].flatMap((dir) =>
    filesUnder(projectRoot, dir).filter((f) => !f.path.split('/').includes('node_modules')),
  );
}

/** Writes a run's secret-free build (manifest and step configs) under `buildDir`; returns the manifest's path. */
export function writeBuild(
  buildDir: string,
  build: { manifest: string; cfg: Record<string, string> },
): string {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(join(buildDir, 'manifest.yaml'), build.manifest);
  for (const [path, text] of Object.entries(build.cfg)) {
    const abs = hostPathOf(buildDir, path);
    if (!abs) throw new Error(`cfg path '${path}' is not inside the build`);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
  return join(buildDir, 'manifest.yaml');
}
