/**
 * The package the worker needs, as one gzipped tar built in memory (nothing is written on the host): the built
 * `dist/` (without source maps), `bin/`, `package.json` and the lockfile. One upload and one `tar -x` in the
 * sandbox instead of ~200 single-file requests. The data and the run's secrets are not in it — the build and
 * the secrets travel in the worker protocol.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The installed package's root (this file is dist/targets/e2b/bundle.js or src/targets/e2b/bundle.ts). */
export const PACKAGE_ROOT = join(import.meta.dirname, '..', '..', '..');

function filesUnder(root: string, dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(root, path, out);
    else if (entry.isFile() && !entry.name.endsWith('.map'))
      out.push(relative(root, path).split(sep).join('/'));
  }
}

export function bundleFiles(root = PACKAGE_ROOT): string[] {
  const files: string[] = [];
  for (const dir of ['dist', 'bin']) filesUnder(root, join(root, dir), files);
  for (const file of ['package.json', 'package-lock.json']) {
    if (statSync(join(root, file), { throwIfNoEntry: false })?.isFile()) files.push(file);
  }
  return files.sort();
}

/** A ustar header: name split into prefix/name when over 100 bytes, octal numeric fields, checksum last. */
function header(path: string, size: number, mode: number): Buffer {
  const block = Buffer.alloc(512);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(path) > 100) {
    const cut = path.lastIndexOf('/', 155);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
    if (cut < 0 || Buffer.byteLength(name) > 100)
      throw new Error(`path too long for the e2b bundle: ${path}`);
  }
  const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, '0')}\0`;
  block.write(name, 0);
  block.write(octal(mode, 8), 100);
  block.write(octal(0, 8), 108);
  block.write(octal(0, 8), 116);
  block.write(octal(size, 12), 124);
  block.write(octal(0, 12), 136);
  block.write('        ', 148);
  block.write('0', 156);
  block.write('ustar\0', 257);
  block.write('00', 263);
  block.write(prefix, 345);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

/** The tar.gz of `files` (paths relative to `root`), with their bytes read now. */
export function buildBundle(root = PACKAGE_ROOT, files = bundleFiles(root)): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    const data = readFileSync(join(root, file));
    parts.push(header(file, data.length, file.startsWith('bin/') ? 0o755 : 0o644), data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}
