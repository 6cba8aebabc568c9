/**
 * Terminal rendering for chat: OML with YAML highlighting, the proposal box, run summaries, session lists.
 * Colour only on a TTY (and never when NO_COLOR is set).
 */
import type { AgentEvent } from '../../agent/agent.js';
import type { Proposal, SessionSummary } from '../../agent/store.js';
import type { JsonObject } from '../../yaml/json.js';

export interface Palette {
  key(s: string): string;
  string(s: string): string;
  comment(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  ok(s: string): string;
  bad(s: string): string;
}

const code = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export function palette(color: boolean): Palette {
  if (!color) {
    const id = (s: string) => s;
    return { key: id, string: id, comment: id, dim: id, bold: id, ok: id, bad: id };
  }
  return {
    key: code(36, 39),
    string: code(33, 39),
    comment: code(90, 39),
    dim: code(2, 22),
    bold: code(1, 22),
    ok: code(32, 39),
    bad: code(31, 39),
  };
}

export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
}

/** YAML line highlighting: keys, scalars, comments and list dashes. Good enough for OML, never lossy. */
export function highlightYaml(yaml: string, p: Palette): string {
  return yaml
    .split('\n')
    .map((line) => {
      const comment = /^(\s*)(#.*)$/.exec(line);
      if (comment) return `${comment[1]}${p.comment(comment[2] as string)}`;
      const m = /^(\s*(?:- )?)([A-Za-z0-9_.-]+)(:)(\s*)(.*)$/.exec(line);
      if (!m) return line;
      const [, lead, key, colon, space, value] = m as unknown as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      return `${lead}${p.key(key)}${colon}${space}${value ? p.string(value) : ''}`;
    })
    .join('\n');
}

export function renderProposal(proposal: Proposal, sessionId: string, p: Palette): string {
  const rule = p.dim('─'.repeat(72));
  return [
    '',
    rule,
    `${p.bold('Pipeline')} ${proposal.pipelineName}   ${p.bold('manifest')} ${proposal.manifestHash}`,
    rule,
    highlightYaml(proposal.oml.trimEnd(), p),
    rule,
    `Type ${p.bold('approve')} to run exactly this manifest (${proposal.manifestShort}), ${p.bold('reject')} to drop it,`,
    `or say what to change.  One-shot: osiris chat --session ${sessionId} approve`,
    '',
  ].join('\n');
}

export function renderRun(run: JsonObject, p: Palette): string {
  const ok = run.status === 'succeeded';
  const lines = [`${ok ? p.ok('✔ run succeeded') : p.bad('✖ run failed')}  ${String(run.run_id ?? '')}`];
  const steps = Array.isArray(run.steps) ? (run.steps as JsonObject[]) : [];
  for (const s of steps) {
    const rows = s.rows_written ?? s.rows_out;
    lines.push(`  ${String(s.id)}  ${String(s.status)}${rows !== undefined ? `  ${String(rows)} rows` : ''}`);
  }
  for (const o of Array.isArray(run.outputs) ? run.outputs : []) lines.push(`  output: ${String(o)}`);
  if (run.error) lines.push(`  ${p.bad(String(run.error))}`);
  if (run.run_dir) lines.push(p.dim(`  run log: ${String(run.run_dir)}`));
  if (run.report) lines.push(p.dim(`  report:  ${String(run.report)}`));
  return lines.join('\n');
}

export function renderSessions(sessions: readonly SessionSummary[]): string[] {
  if (sessions.length === 0) return ['no chat sessions yet — start one with `osiris chat`'];
  return sessions.map(
    (s) =>
      `${s.id}  ${s.state.padEnd(15)} ${s.updatedAt.slice(0, 19).replace('T', ' ')}  ${s.messages} msgs  ${
        s.pipeline ?? '-'
      }  ${s.title.replace(/\s+/g, ' ').slice(0, 60)}`,
  );
}

/** One line for a tool activity event (stderr in one-shot mode). */
export function activityLine(event: Extract<AgentEvent, { type: 'tool' }>, p: Palette): string | undefined {
  if (event.phase === 'start') return p.dim(`… ${event.label}`);
  return event.ok === false ? p.bad(`✖ ${event.label} failed`) : undefined;
}
