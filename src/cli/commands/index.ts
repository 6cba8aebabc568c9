/** Every command group registers itself here. Keep these modules light: heavy imports go inside actions. */
import type { Command } from 'commander';
import * as chat from './chat.js';
import * as compile from './compile.js';
import * as components from './components.js';
import * as connections from './connections.js';
import * as discovery from './discovery.js';
import * as fleet from './fleet.js';
import * as init from './init.js';
import * as logs from './logs.js';
import * as mcp from './mcp.js';
import * as oml from './oml.js';
import * as run from './run.js';
import * as runs from './runs.js';
import * as schedule from './schedule.js';
import * as state from './state.js';
import * as validate from './validate.js';
import * as worker from './worker.js';

export function registerCommands(program: Command): void {
  for (const group of [
    init,
    validate,
    compile,
    run,
    components,
    connections,
    discovery,
    logs,
    runs,
    state,
    chat,
    mcp,
    oml,
    worker,
    schedule,
    fleet,
  ])
    group.register(program);
}
