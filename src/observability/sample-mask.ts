/**
 * Which sample values may be shown: discovery samples and the output previews of a run share this policy.
 * Values of columns named like secrets (the redactor's secret key names plus personal and payment data) become
 * `***`, then every row goes through the redactor (known secret values, credentials in free text, …).
 */
import type { JsonValue } from '../yaml/json.js';
import { isJsonObject } from '../yaml/json.js';
import type { Redactor } from './redact.js';

export type SampleRow = Record<string, JsonValue>;

/** Column name parts that mark personal or payment secrets on top of the redactor's secret keys. */
const SENSITIVE_SEGMENTS = new Set(['ssn', 'cvv', 'cvv2', 'cvc', 'iban', 'otp', 'pin', 'salt']);
const SENSITIVE_PHRASES = [
  'social_security',
  'credit_card',
  'creditcard',
  'card_number',
  'cardnumber',
  'card_no',
  'cc_number',
  'cc_num',
  'ccnum',
  'card_cvv',
  'security_code',
];

function columnSegments(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * Whether sample values of a column are masked: the redactor's secret key names (password, token, secret,
 * api_key, …) plus personal and payment data (ssn, credit card and card numbers, cvv, iban, pin, salt, …).
 */
export function isSensitiveColumn(name: string, redactor: Pick<Redactor, 'isSecretKey'>): boolean {
  if (redactor.isSecretKey(name)) return true;
  const segments = columnSegments(name);
  if (segments.some((s) => SENSITIVE_SEGMENTS.has(s))) return true;
  const joined = `_${segments.join('_')}_`;
  return SENSITIVE_PHRASES.some((p) => joined.includes(`_${p}_`) || joined.includes(`_${p}s_`));
}

/**
 * Masks sample rows: every non-null value of a sensitive column becomes `***`, then each row goes through
 * the redactor (known secret values, credentials in text, …). Returns the rows and the masked columns.
 */
export function maskSampleRows(
  rows: readonly Record<string, unknown>[],
  columns: readonly string[],
  redactor: Redactor,
): { rows: SampleRow[]; maskedColumns: string[] } {
  const names = [...columns];
  for (const row of rows) for (const k of Object.keys(row)) if (!names.includes(k)) names.push(k);
  const masked = names.filter((c) => isSensitiveColumn(c, redactor));
  const maskedSet = new Set(masked);
  const out: SampleRow[] = [];
  for (const row of rows) {
    const plain: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) {
      plain[k] = maskedSet.has(k) && v !== null && v !== undefined ? '***' : v;
    }
    const redacted = redactor.redactValue(plain);
    out.push(isJsonObject(redacted) ? redacted : {});
  }
  return { rows: out, maskedColumns: masked };
}
