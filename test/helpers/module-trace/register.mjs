// `node --import <this file>`: records every module the process loads, one URL or path a line, in the file
// named by MODULE_TRACE_FILE. ESM imports pass the resolve hook (hooks.mjs); CommonJS modules that packages
// require() among themselves do not (Node 20), so the require cache is added at exit.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

register('./hooks.mjs', import.meta.url);
const require = createRequire(import.meta.url);
process.on('exit', () => {
  const out = process.env.MODULE_TRACE_FILE;
  if (out)
    appendFileSync(
      out,
      Object.keys(require.cache)
        .map((path) => `${path}\n`)
        .join(''),
    );
});
