/** AI Operation Package (AIOP): public API. See docs/reference/aiop.md. */
export { ANNEX_DIR, type AnnexShard } from './annex.js';
export { buildDocument, isNoiseEvent, LIFECYCLE_EVENTS } from './build.js';
export {
  AIOP_CONFIG_KEYS,
  AIOP_DEFAULTS,
  type AiopConfig,
  type AiopConfigKey,
  cliFlagName,
  envVarName,
  type ResolvedAiopConfig,
  resolveAiopConfig,
} from './config.js';
export {
  type AiopExportOutcome,
  type AiopPackage,
  aiopPackageDir,
  buildAiopPackage,
  buildPackageFromInputs,
  CORE_FILE,
  RUN_CARD_FILE,
  type WrittenPackage,
  writeAiopAnnex,
  writeAiopForRun,
  writeAiopPackage,
} from './export.js';
export { readAiopInputs } from './read.js';
export { renderRunCard } from './runcard.js';
export { serializeCore } from './truncate.js';
export { AIOP_FORMAT, AIOP_SCHEMA_ID, type AiopDocument } from './types.js';
