/** The compiler's public surface: OML → manifest + cfg + fingerprints, and reading a build back. */
export { buildStepCfg, CFG_META_KEYS } from './cfg.js';
export {
  type BuildFile,
  COMPILER_ID,
  type CompileDocumentOptions,
  type CompiledPipeline,
  type CompileOptions,
  type CompileResult,
  compileDocument,
  compileOml,
  renderBuild,
  resolveProfile,
  writeBuild,
} from './compile.js';
export {
  computeManifestFp,
  computeManifestHash,
  type LoadedManifest,
  type LoadedStep,
  loadManifest,
  MANIFEST_FILE,
  type Manifest,
  type ManifestFingerprints,
  type ManifestStep,
} from './manifest.js';
export { topologicalOrder } from './order.js';
export {
  buildDirFor,
  type CompilePointer,
  lastCompilePath,
  latestPointerPath,
  readLastCompile,
  readLatestCompile,
  writeCompilePointers,
} from './pointers.js';
