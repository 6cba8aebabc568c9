/**
 * Postgres errors as transient or terminal (runtime/retry/classify.ts; docs/reference/retries.md): SQLSTATEs
 * first, exact codes before their class, then the messages pg gives a socket that died without a SQLSTATE.
 */
import { type ErrorClass, type ErrorTable, terminal, transient } from '../../runtime/retry/classify.js';

/** Exact SQLSTATEs. */
const CODES: Readonly<Record<string, [boolean, string]>> = {
  '40001': [true, 'serialization_failure'],
  '40P01': [true, 'deadlock'],
  '40003': [false, 'statement_completion_unknown'],
  '55P03': [true, 'lock_not_available'],
  '53300': [true, 'too_many_connections'],
  '53200': [true, 'out_of_memory'],
  '57P01': [true, 'admin_shutdown'],
  '57P02': [true, 'crash_shutdown'],
  '57P03': [true, 'cannot_connect_now'],
  '57P05': [true, 'idle_session_timeout'],
  // A statement_timeout or a cancel: the same statement would be stopped again.
  '57014': [false, 'query_canceled'],
  '42501': [false, 'permission_denied'],
  '42601': [false, 'syntax_error'],
  '42P01': [false, 'undefined_table'],
  '42703': [false, 'undefined_column'],
  '3D000': [false, 'database_missing'],
  '3F000': [false, 'schema_missing'],
  '28P01': [false, 'auth_failed'],
};

/** SQLSTATE classes (first two characters). */
const CLASSES: Readonly<Record<string, [boolean, string]>> = {
  '08': [true, 'connection_exception'],
  '40': [true, 'transaction_rollback'],
  '53': [false, 'insufficient_resources'],
  '57': [false, 'operator_intervention'],
  '42': [false, 'syntax_or_access'],
  '23': [false, 'constraint_violation'],
  '22': [false, 'data_exception'],
  '28': [false, 'auth_failed'],
  '0A': [false, 'feature_not_supported'],
  '25': [false, 'invalid_transaction_state'],
  '54': [false, 'program_limit'],
  XX: [false, 'internal_error'],
};

const verdict = ([isTransient, reason]: [boolean, string], code: string): ErrorClass =>
  isTransient ? transient(reason, code) : terminal(reason, code);

/** pg's messages for a connection that ended without a server error. */
const LOST =
  /Connection terminated|Client has encountered a connection error|connection.*(closed|ended|lost)|socket hang up/i;

export const postgresErrorTable: ErrorTable = (error) => {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const exact = CODES[code];
    if (exact) return verdict(exact, code);
    const cls = CLASSES[code.slice(0, 2)];
    return cls ? verdict(cls, code) : terminal('server_error', code);
  }
  if (code === undefined && error instanceof Error && LOST.test(error.message))
    return transient('connection_lost');
  return undefined;
};
