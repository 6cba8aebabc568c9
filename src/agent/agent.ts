/**
 * The conversational agent: one user message in, a turn out. The model drives discovery, drafting and
 * repair through tools (src/agent/tools.ts); the agent owns what must not be left to a model — the state
 * machine, the repair budget, approval of the exact manifest hash shown, and the run itself.
 *
 * Every step is persisted as it finishes (src/agent/store.ts), so a killed process resumes where it stopped.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type LanguageModel, type ModelMessage, stepCountIs, streamText } from 'ai';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { ProgressReporter } from '../observability/progress.js';
import type { JsonObject, JsonValue } from '../yaml/json.js';
import { isModelCallError, type ModelErrorContext, modelCallError } from './model-errors.js';
import { componentsContext, fillTemplate, type PromptName } from './prompts.js';
import { type AgentState, canTransition } from './state.js';
import type { Proposal, SessionStore } from './store.js';
import { type AgentContext, createTools } from './tools.js';

/** Model steps (one LLM call each) per user message. */
export const DEFAULT_MAX_STEPS = 16;

export type AgentEvent =
  | { type: 'state'; from: AgentState; to: AgentState; reason: string }
  | { type: 'text'; delta: string }
  | { type: 'tool'; tool: string; phase: 'start' | 'end'; label: string; ok?: boolean }
  | { type: 'proposal'; proposal: Proposal; warnings: JsonValue[] }
  | { type: 'run-start'; manifestHash: string }
  | { type: 'run-end'; run: JsonObject }
  | { type: 'notice'; message: string }
  /** A provider warning (e.g. a setting the model ignores), redacted. */
  | { type: 'warning'; message: string };

export interface TurnResult {
  sessionId: string;
  state: AgentState;
  /** What the agent said this turn (model text, or the agent's own words for approve/reject). */
  reply: string;
  /** The pipeline waiting for approval, when there is one. */
  proposal: Proposal | null;
  /** The run started this turn, if any. */
  run: JsonObject | null;
  /** Provider warnings of this turn (settings the model ignored, …). */
  warnings: string[];
}

/** The model and the settings that come with it. */
export interface ChatModel {
  model: LanguageModel;
  temperature: number;
  maxTokens: number;
  /** Validate → repair rounds before the errors go to the user. */
  maxRepairAttempts: number;
  /** How a failed call is described (provider, model, where the endpoint was configured). */
  errors: ModelErrorContext;
}

export interface AgentOptions extends Omit<AgentContext, 'maxRepairAttempts'> {
  /** Created on first use: approve and reject need no model, no key and no settings. */
  llm: () => Promise<ChatModel>;
  prompts: Readonly<Record<PromptName, string>>;
  maxSteps?: number;
  onEvent?: (event: AgentEvent) => void;
  /** Progress display for approved runs. */
  progress: () => ProgressReporter;
}

type Mode = 'normal' | 'fast' | 'sql';

const APPROVE =
  /^(?:approve|approved|yes,?\s+run\s+it|run\s+it)(?:\s+([0-9a-f]{6,64}|sha256:[0-9a-f]{6,64}))?[.!]?$/i;
const REJECT = /^(?:reject|rejected|no|cancel)[.!]?$/i;

/** Splits the `FAST:` / `SQL:` prefixes off a message. */
export function messageMode(message: string): { mode: Mode; text: string } {
  const m = /^\s*(FAST|SQL)\s*:\s*/i.exec(message);
  if (!m) return { mode: 'normal', text: message.trim() };
  return { mode: (m[1] as string).toLowerCase() as Mode, text: message.slice(m[0].length).trim() };
}

function bareHash(hash: string): string {
  return hash.replace(/^sha256:/, '');
}

/** The manifest hash on disk right now (approval must match what will actually run). */
function manifestHashOnDisk(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const m = /^\s*manifest_hash:\s*['"]?([^'"\s]+)/m.exec(readFileSync(path, 'utf8'));
  return m?.[1];
}

export class ChatAgent {
  private turnText = '';
  private turnWarnings: string[] = [];

  constructor(private readonly options: AgentOptions) {}

  get store(): SessionStore {
    return this.options.store;
  }

  private emit(event: AgentEvent): void {
    if (event.type === 'text') this.turnText += event.delta;
    if (event.type === 'warning') this.turnWarnings.push(event.message);
    this.options.onEvent?.(event);
  }

  private moveTo(to: AgentState, reason: string): void {
    const from = this.store.state;
    if (from === to && to !== 'DISCOVERY' && to !== 'INTENT_CAPTURED') return;
    if (!canTransition(from, to)) return;
    this.store.recordTransition(to, reason);
    this.emit({ type: 'state', from, to, reason });
  }

  private result(reply: string, run: JsonObject | null = null): TurnResult {
    return {
      sessionId: this.store.id,
      state: this.store.state,
      reply,
      proposal: this.store.state === 'AWAIT_APPROVAL' ? this.store.proposal : null,
      run,
      warnings: this.turnWarnings,
    };
  }

  /** Handles one user message. */
  async send(message: string, signal?: AbortSignal): Promise<TurnResult> {
    const text = message.trim();
    this.turnWarnings = [];
    if (!text)
      throw OsirisError.of('AGT050', 'the message is empty', {}, { hint: 'type what you want to build' });
    const approve = APPROVE.exec(text);
    if (approve) return this.approve(approve[1]);
    if (REJECT.test(text)) return this.reject(text);
    return this.converse(text, signal);
  }

  // --- approval -------------------------------------------------------------------------------------------

  private note(user: string, assistant: string): void {
    this.store.beginTurn({ role: 'user', content: user }, user);
    this.store.appendMessages([{ role: 'assistant', content: assistant }]);
  }

  private pendingProposal(): Proposal {
    const proposal = this.store.proposal;
    if (this.store.state !== 'AWAIT_APPROVAL' || !proposal) {
      throw OsirisError.of(
        'AGT051',
        'there is no pipeline waiting for approval',
        {},
        { hint: 'describe what you want first; approve once a pipeline and its manifest hash are shown' },
      );
    }
    return proposal;
  }

  private async approve(hashArg: string | undefined): Promise<TurnResult> {
    const proposal = this.pendingProposal();
    if (hashArg && !bareHash(proposal.manifestHash).startsWith(bareHash(hashArg).toLowerCase())) {
      throw OsirisError.of(
        'AGT052',
        `the hash you approved (${hashArg}) is not the pipeline shown (${proposal.manifestShort})`,
        {},
        { hint: 'approve the manifest shown last, or ask for a new proposal' },
      );
    }
    const onDisk = manifestHashOnDisk(proposal.manifestPath);
    if (onDisk !== proposal.manifestHash) {
      throw OsirisError.of(
        'AGT053',
        'the compiled manifest changed since it was shown; it will not run',
        { file: proposal.manifestPath },
        { hint: 'ask for the pipeline again so it is recompiled and shown' },
      );
    }
    this.store.approve(proposal.manifestHash);
    const saved = this.savePipeline(proposal);
    const run = await this.runApproved(proposal.manifestHash);
    const reply =
      run.status === 'succeeded'
        ? `Approved ${proposal.manifestShort}; saved to ${saved}. The run ${run.run_id} succeeded.`
        : `Approved ${proposal.manifestShort}; saved to ${saved}. The run ${run.run_id} failed: ${String(run.error ?? '')}`;
    this.note(`approve ${proposal.manifestShort}`, reply);
    return this.result(reply, run);
  }

  /** Copies the approved OML to `pipelines/<name>.yaml` (what `osiris run` can be pointed at later). */
  savePipeline(proposal: Proposal): string {
    const dir = this.options.project.paths.pipelines;
    mkdirSync(dir, { recursive: true });
    const target = join(dir, `${proposal.pipelineName}.yaml`);
    copyFileSync(proposal.omlPath, target);
    return relative(this.options.cwd, target) || target;
  }

  /** Runs the proposal whose hash the user approved; anything else is refused. */
  async runApproved(manifestHash: string): Promise<JsonObject> {
    const proposal = this.store.proposal;
    const approved = this.store.approvedHash;
    if (
      !proposal ||
      !approved ||
      approved !== proposal.manifestHash ||
      !approved.includes(bareHash(manifestHash))
    ) {
      throw OsirisError.of(
        'AGT054',
        'this pipeline has not been approved by the user',
        {},
        { hint: 'the user must type `approve` after seeing the pipeline and its manifest hash' },
      );
    }
    this.moveTo('RUN', `approved ${proposal.manifestShort}`);
    this.emit({ type: 'run-start', manifestHash: proposal.manifestHash });
    const { executeRun } = await import('../runtime/execute.js');
    let run: JsonObject;
    try {
      const result = await executeRun({
        file: proposal.manifestPath,
        cwd: this.options.cwd,
        env: this.options.env,
        project: this.options.project,
        registry: this.options.registry,
        progress: this.options.progress(),
      });
      run = {
        run_id: result.runId,
        status: result.status,
        duration_ms: result.durationMs,
        outputs: result.outputs.map((o) => relative(this.options.cwd, o) || o),
        steps: result.steps.map((s) => ({
          id: s.id,
          status: s.status,
          ...(s.result?.rowsOut !== undefined ? { rows_out: s.result.rowsOut } : {}),
          ...(s.result?.rowsWritten !== undefined ? { rows_written: s.result.rowsWritten } : {}),
        })),
        ...(result.error ? { error: result.error.message, error_step: result.error.step_id ?? null } : {}),
        run_dir: relative(this.options.cwd, result.runDir) || result.runDir,
      };
      const report = await this.writeReport(result.runId);
      if (report) run.report = relative(this.options.cwd, report) || report;
    } catch (error) {
      const message =
        error instanceof OsirisError ? error.diagnostics.map((d) => d.message).join('; ') : String(error);
      run = { run_id: null, status: 'failed', error: message };
    }
    // Only the error is free text that could carry a secret; ids and paths are Osiris's own (and a run
    // directory name can look like a credential to the entropy check).
    if (typeof run.error === 'string') run.error = this.options.redactor.redactText(run.error);
    this.store.setLastRun(run);
    this.moveTo('DONE', `run ${String(run.status)}`);
    this.emit({ type: 'run-end', run });
    return run;
  }

  /**
   * The run's HTML report (`report.html` in its run folder), as `osiris logs html` writes it: the chat user
   * gets a page to open without a second command. A report that cannot be written never fails the run.
   */
  private async writeReport(runId: string): Promise<string | undefined> {
    try {
      const [{ findRun }, { writeRunReport }, { VERSION }] = await Promise.all([
        import('../observability/run-index.js'),
        import('../observability/report/index.js'),
        import('../cli/version.js'),
      ]);
      const { project, cwd, redactor } = this.options;
      const written = writeRunReport(project, findRun(project, runId), {
        cwd,
        redactor,
        generator: `osiris ${VERSION}`,
      });
      return written.path;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.emit({
        type: 'warning',
        message: this.options.redactor.redactText(`could not write the HTML report: ${reason}`),
      });
      return undefined;
    }
  }

  private reject(text: string): TurnResult {
    const proposal = this.pendingProposal();
    this.store.setProposal(null);
    this.moveTo('INTENT_CAPTURED', 'rejected by the user');
    const reply = `Rejected ${proposal.manifestShort}; nothing ran. Tell me what to change.`;
    this.note(text, reply);
    return this.result(reply);
  }

  // --- conversation ---------------------------------------------------------------------------------------

  private systemPrompt(mode: Mode): string {
    const { prompts, connections, registry } = this.options;
    const connectionLines =
      connections?.families.flatMap((f) =>
        f.aliases.map((a) => `- @${f.name}.${a.alias}${a.isDefault ? ' (default)' : ''}`),
      ) ?? [];
    let system = fillTemplate(prompts.system, {
      connections: connectionLines.length ? connectionLines.join('\n') : '(none configured)',
      components: componentsContext(registry),
    });
    if (mode === 'fast') system += `\n\n${prompts.fast_mode}`;
    if (mode === 'sql') system += `\n\n${prompts.sql_mode}`;
    return system;
  }

  private async converse(raw: string, signal: AbortSignal | undefined): Promise<TurnResult> {
    const { mode } = messageMode(raw);
    const { redactor } = this.options;
    // The model (and its key) first: a missing setting records nothing.
    const llm = await this.options.llm();
    const userText = redactor.redactText(raw);
    this.turnText = '';
    // A new message from the user ends any pending proposal and restarts the repair budget.
    if (this.store.state === 'AWAIT_APPROVAL') this.store.setProposal(null);
    this.store.beginTurn({ role: 'user', content: userText }, userText);
    this.store.setRepairAttempts(0);
    this.moveTo('INTENT_CAPTURED', mode === 'normal' ? 'user message' : `user message (${mode} mode)`);

    const tools = createTools({
      ...this.options,
      maxRepairAttempts: llm.maxRepairAttempts,
      moveTo: (to, reason) => this.moveTo(to, reason),
      activity: (e) => this.emit({ type: 'tool', ...e }),
      proposed: (proposal, warnings) => {
        this.store.setProposal(proposal);
        this.moveTo('AWAIT_APPROVAL', `compiled ${proposal.manifestShort}`);
        this.emit({ type: 'proposal', proposal, warnings });
      },
      runApproved: (hash) => this.runApproved(hash),
    });

    // The AI SDK prints provider warnings to stdout by default, which would break `--json`: route them here.
    globalThis.AI_SDK_LOG_WARNINGS = ({ warnings, provider, model: modelId }) => {
      for (const w of warnings) {
        const what = 'feature' in w ? `${w.feature}${w.details ? `: ${w.details}` : ''}` : w.message;
        this.emit({
          type: 'warning',
          message: redactor.redactText(`${provider} ${modelId}: ${w.type} ${what}`),
        });
      }
    };
    let persisted = 0;
    // After a successful proposal the model gets one more step to summarise it, then the turn ends.
    let proposedAtStep: number | undefined;
    const proposalShown = ({ steps }: { steps: readonly unknown[] }): boolean => {
      if (this.store.state !== 'AWAIT_APPROVAL') return false;
      proposedAtStep ??= steps.length;
      return steps.length > proposedAtStep;
    };
    const result = streamText({
      model: llm.model,
      system: redactor.redactText(this.systemPrompt(mode)),
      messages: this.store.messages(),
      tools,
      temperature: llm.temperature,
      maxOutputTokens: llm.maxTokens,
      maxRetries: 1,
      stopWhen: [
        stepCountIs(this.options.maxSteps ?? DEFAULT_MAX_STEPS),
        proposalShown,
        () => this.store.repairAttempts > llm.maxRepairAttempts,
      ],
      ...(signal ? { abortSignal: signal } : {}),
      // Errors arrive as `error` parts below; the SDK's default handler would dump them to the console.
      onError: () => undefined,
      onStepFinish: (step) => {
        // response.messages accumulates over the call's steps: store only what is new.
        const all = step.response.messages as ModelMessage[];
        this.store.appendMessages(redactor.redactValue(all.slice(persisted)) as unknown as ModelMessage[]);
        persisted = all.length;
      },
    });
    try {
      for await (const part of result.fullStream) {
        if (part.type === 'text-start') this.separateText();
        else if (part.type === 'text-delta')
          this.emit({ type: 'text', delta: redactor.redactText(part.text) });
        else if (part.type === 'error') throw part.error;
      }
    } catch (error) {
      if (!signal?.aborted && isModelCallError(error)) throw modelCallError(error, llm.errors, redactor);
      throw error;
    }
    if (this.store.repairAttempts > llm.maxRepairAttempts && this.store.state !== 'AWAIT_APPROVAL') {
      const notice =
        `Automatic repair stopped after ${llm.maxRepairAttempts} attempts; the last errors are above. ` +
        'Tell me how to correct them, simplify the request, or edit the draft yourself.';
      this.emit({ type: 'notice', message: notice });
      this.turnText += `${this.turnText ? '\n\n' : ''}${notice}`;
    }
    return this.result(this.turnText.trim());
  }

  /** A new block of model text (a later step's) starts a new paragraph, never runs on from the last. */
  private separateText(): void {
    if (this.turnText && !/\s$/.test(this.turnText)) this.emit({ type: 'text', delta: '\n\n' });
  }
}
