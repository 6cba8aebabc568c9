/**
 * The agent's state machine. Every transition is checked against this table and recorded in the session, so
 * a resumed session continues exactly where it stopped and an impossible jump is a bug, not a surprise.
 */

export const AGENT_STATES = [
  'INIT',
  'INTENT_CAPTURED',
  'DISCOVERY',
  'OML_SYNTHESIS',
  'VALIDATE_OML',
  'REPAIR',
  'COMPILE',
  'AWAIT_APPROVAL',
  'RUN',
  'DONE',
] as const;

export type AgentState = (typeof AGENT_STATES)[number];

/**
 * Allowed moves besides "a new user message", which may always go back to INTENT_CAPTURED (an edit request
 * while awaiting approval, a new request after a run, a session resumed after a crash mid-turn).
 */
const TRANSITIONS: Readonly<Record<AgentState, readonly AgentState[]>> = {
  INIT: [],
  INTENT_CAPTURED: ['DISCOVERY', 'OML_SYNTHESIS'],
  DISCOVERY: ['DISCOVERY', 'OML_SYNTHESIS'],
  OML_SYNTHESIS: ['VALIDATE_OML'],
  // A validate-only check rests here; the model then proposes (OML_SYNTHESIS) or explores more.
  VALIDATE_OML: ['REPAIR', 'COMPILE', 'OML_SYNTHESIS', 'DISCOVERY'],
  REPAIR: ['OML_SYNTHESIS', 'DISCOVERY'],
  COMPILE: ['AWAIT_APPROVAL', 'REPAIR'],
  AWAIT_APPROVAL: ['RUN', 'DISCOVERY', 'OML_SYNTHESIS'],
  RUN: ['DONE'],
  DONE: ['DISCOVERY', 'OML_SYNTHESIS'],
};

export function canTransition(from: AgentState, to: AgentState): boolean {
  return to === 'INTENT_CAPTURED' || TRANSITIONS[from].includes(to);
}

export function isAgentState(value: unknown): value is AgentState {
  return typeof value === 'string' && (AGENT_STATES as readonly string[]).includes(value);
}
