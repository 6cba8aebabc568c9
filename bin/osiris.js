#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm run build`, which `npm ci` runs via `prepare`).
import module from 'node:module';

// Node ≥ 22.1 keeps V8's compiled code for every module on disk (the OS temp folder, or NODE_COMPILE_CACHE;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off), so later starts skip most parsing and compiling. Node 20 has
// no such cache: the call is skipped there. A cache that cannot be written is ignored by Node.
module.enableCompileCache?.();

import('../dist/cli/main.js').then(
  (cli) => cli.main(process.argv),
  (error) => {
    process.stderr.write(`osiris: cannot load the CLI (${error.message}). Run \`npm run build\` first.\n`);
    process.exit(1);
  },
);
