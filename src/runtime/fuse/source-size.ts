/**
 * Fusing pays off for large files only. A fused chain knows just the row count the writer wrote, so its
 * source and transforms report no rows and no preview; on a small file the step-by-step run costs next to
 * nothing more and keeps every step's count and preview. Below the threshold the chain is not fused.
 */
import { statSync } from 'node:fs';
import type { JsonObject } from '../../yaml/json.js';
import type { ResolvedConnection } from '../driver.js';
import { resolveSourceFile } from '../file-output.js';

/** Default threshold: 64 MiB of source file. `OSIRIS_FUSE_MIN_BYTES` sets another (0: fuse every chain). */
export const FUSE_MIN_BYTES = 64 * 1024 * 1024;

export function fuseMinBytes(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.OSIRIS_FUSE_MIN_BYTES);
  return env.OSIRIS_FUSE_MIN_BYTES !== undefined && Number.isFinite(value) && value >= 0
    ? value
    : FUSE_MIN_BYTES;
}

/**
 * Why a chain whose source reads `config.path` runs step by step, or undefined to fuse it. A glob or a
 * missing file fuses as usual (the source's own checks report a missing file the same way on both paths).
 */
export function smallSourceReason(
  projectRoot: string,
  config: JsonObject,
  connection: ResolvedConnection | undefined,
  min = fuseMinBytes(),
): string | undefined {
  if (min <= 0 || typeof config.path !== 'string') return undefined;
  const file = resolveSourceFile(projectRoot, config.path, config, connection);
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return undefined;
  }
  if (size >= min) return undefined;
  return `the source file is small (${mib(size)} MiB < ${mib(min)} MiB): each step runs on its own, with its row count and preview (OSIRIS_FUSE_MIN_BYTES sets the threshold)`;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 3 : 1);
}
