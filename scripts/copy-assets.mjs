// Copies non-TypeScript assets (component specs, JSON schemas) from src/ to dist/ after tsc.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const assetExtensions = new Set(['.yaml', '.yml', '.json', '.md', '.html', '.css']);

function walk(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (assetExtensions.has(extname(entry))) cpSync(path, join(dist, relative(src, path)));
  }
}
walk(src);
