#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm run build`, which `npm ci` runs via `prepare`).
import('../dist/cli/main.js').then(
  (cli) => cli.main(process.argv),
  (error) => {
    process.stderr.write(`osiris: cannot load the CLI (${error.message}). Run \`npm run build\` first.\n`);
    process.exit(1);
  },
);
