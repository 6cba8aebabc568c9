/**
 * The AI Operation Package (AIOP) core document, `summary.json`. See docs/reference/aiop.md and schema.json
 * (JSON Schema 2020-12) beside this file; the two must change together with `AIOP_FORMAT`.
 */
import type { JsonObject, JsonValue } from '../../yaml/json.js';
import type { RunOutcome } from '../run-index.js';
import type { ConfigValueInfo } from './config.js';

export const AIOP_FORMAT = '1.0';
export const AIOP_SCHEMA_ID = 'https://osiris.dev/schemas/aiop/1.0/summary.json';

/** Evidence id: `ev.<run_id>.<seq>`, `ev.metric.<scope>`, `ev.error.<scope>[.<n>]`, `ev.artifact.<path>`, … */
export type EvidenceId = string;

export interface AiopRun {
  '@id': EvidenceId;
  run_id: string;
  pipeline: string;
  profile: string | null;
  status: RunOutcome;
  environment: string;
  manifest_hash: string;
  manifest_short: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  rows_in: number | null;
  rows_out: number | null;
  steps: { total: number; succeeded: number; failed: number; skipped: number; other: number };
  /** Folder of the run log, relative to the project root. */
  run_dir: string;
  error?: { code: string; message: string; step_id?: string; hint?: string };
}

export interface TimelineItem {
  '@id': EvidenceId;
  /** 1-based line number in events.jsonl: stable whatever is filtered or dropped. */
  seq: number;
  ts: string;
  event: string;
  step_id?: string;
  /** The event's other fields (redacted, paths relative to the project root). */
  data: JsonObject;
}

export interface Timeline {
  /** Events in events.jsonl. */
  total: number;
  density: 'low' | 'medium' | 'high';
  /** Events left out by the density setting. */
  excluded_by_density: number;
  /** Events left out to fit `max_core_bytes` (they are all in the annex when there is one). */
  dropped: number;
  truncated: boolean;
  /** When truncated: how many events were kept from the start and from the end (plus pinned ones). */
  sample?: { head: number; tail: number; pinned: number };
  events: TimelineItem[];
}

export interface StepMetrics {
  '@id': EvidenceId;
  step_id: string;
  component: string | null;
  status: string | null;
  /** name → aggregated value (sum; the maximum for peak_… and max_… metrics). */
  values: Record<string, number>;
  units: Record<string, string>;
  samples: number;
}

export interface MetricsLayer {
  /** Lines in metrics.jsonl. */
  total_samples: number;
  run: { '@id': EvidenceId; values: Record<string, number>; units: Record<string, string> };
  totals: {
    rows_in: number | null;
    rows_out: number | null;
    duration_ms: number;
    /** Σ step durations (more than wall time when steps ran in parallel). */
    active_duration_ms: number;
  };
  /** Slowest first (then by step id). */
  steps: StepMetrics[];
  truncated: boolean;
  dropped: number;
}

export interface ErrorItem {
  '@id': EvidenceId;
  code: string;
  message: string;
  severity: 'error' | 'warning';
  step_id?: string;
  hint?: string;
  ts: string;
  /** The timeline event this error was read from. */
  event: EvidenceId;
}

export interface ArtifactItem {
  '@id': EvidenceId;
  /** Relative to the run folder, POSIX separators. */
  path: string;
  size_bytes: number;
  sha256: string;
}

export interface OutputItem {
  step_id: string;
  /** File or table a writer produced (relative to the project root when inside it). */
  target: string;
}

export interface EvidenceLayer {
  timeline: Timeline;
  metrics: MetricsLayer;
  errors: ErrorItem[];
  artifacts: {
    files: ArtifactItem[];
    total: number;
    total_bytes: number;
    truncated: boolean;
    dropped: number;
  };
  outputs: OutputItem[];
}

export interface DagNode {
  id: string;
  component: string;
  mode: string;
  connection?: string;
  status: string | null;
}

export interface SemanticStep {
  id: string;
  component: string;
  mode: string;
  needs: string[];
  connection?: string;
  cfg_fp: string | null;
  /** Config as compiled (redacted); long strings cut. Absent when dropped for size (keys stay). */
  config?: JsonObject;
  config_keys: string[];
}

export interface ComponentInfo {
  name: string;
  version: string | null;
  title: string | null;
  modes: string[];
  /** Whether this Osiris has a runtime driver for it. */
  runnable: boolean | null;
  /** Step ids using it. */
  used_by: string[];
}

export interface SemanticLayer {
  pipeline: {
    id: string;
    name: string;
    description: string | null;
    oml_version: string | null;
    compiler: string | null;
    manifest_hash: string;
    fingerprints: Record<string, string | null>;
  };
  dag: {
    nodes: DagNode[];
    edges: { from: string; to: string; relation: 'needs' }[];
    counts: { nodes: number; edges: number };
    roots: string[];
    leaves: string[];
  };
  components: ComponentInfo[];
  /** `@family.alias` references only; never fields. */
  connections: string[];
  steps: SemanticStep[];
  configs_truncated: boolean;
}

export interface NarrativeSentence {
  text: string;
  /** Evidence ids backing the claim (at least one). */
  cites: EvidenceId[];
}

export interface NarrativeParagraph {
  id: 'context' | 'execution' | 'outcome' | 'delta';
  /** The sentences joined, each followed by its citations in brackets. */
  text: string;
  sentences: NarrativeSentence[];
}

export interface NarrativeLayer {
  intent: {
    text: string;
    source: 'manifest.metadata.intent' | 'manifest.description' | 'inferred';
    known: boolean;
  };
  paragraphs: NarrativeParagraph[];
}

export interface DeltaValue {
  previous: number | null;
  current: number | null;
  change: number | null;
  change_percent: number | null;
}

export interface Delta {
  '@id': EvidenceId;
  basis: 'previous_successful_run' | 'disabled';
  first_run: boolean;
  previous?: {
    run_id: string;
    started_at: string;
    manifest_hash: string;
    same_manifest: boolean;
  };
  rows_in?: DeltaValue;
  rows_out?: DeltaValue;
  duration_ms?: DeltaValue;
  errors?: { previous: string[]; current: string[]; new: string[] };
}

export interface TruncationMarker {
  path: string;
  kept: number;
  dropped: number;
  reason: string;
}

export interface AnnexFile {
  name: string;
  records: number;
  size_bytes: number;
  sha256: string;
}

export interface MetadataLayer {
  aiop_format: string;
  generator: string;
  evidence_id_scheme: string;
  config: Record<string, ConfigValueInfo>;
  config_warnings: string[];
  delta: Delta;
  truncated: boolean;
  truncation: TruncationMarker[];
  size: { core_bytes: number; max_core_bytes: number; within_budget: boolean };
  annex: { policy: 'core' | 'annex'; compress: 'none' | 'gzip'; dir: string | null; files: AnnexFile[] };
  /** Inputs read from the run folder, relative to it. */
  sources: string[];
}

export interface AiopDocument {
  $schema: string;
  aiop_format: string;
  run: AiopRun;
  evidence: EvidenceLayer;
  semantic: SemanticLayer;
  narrative: NarrativeLayer;
  metadata: MetadataLayer;
}

export type { JsonValue };
