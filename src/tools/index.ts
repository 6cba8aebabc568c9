/** Every tool, in the order clients list them. */
import { componentSpec, componentsList, omlSchema } from './components.js';
import { connectionsDoctor, connectionsList } from './connections.js';
import { discoveryRun, query } from './discovery.js';
import { bindCheck, compile, omlValidate } from './pipeline.js';
import { aiop, run, runShow, runsList } from './runs.js';
import type { ToolSpec } from './spec.js';

export const TOOLS: readonly ToolSpec[] = [
  connectionsList,
  connectionsDoctor,
  discoveryRun,
  query,
  componentsList,
  componentSpec,
  omlSchema,
  omlValidate,
  bindCheck,
  compile,
  run,
  runsList,
  runShow,
  aiop,
] as unknown as readonly ToolSpec[];
