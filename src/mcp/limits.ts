/** Size limits of what a client may send and what a tool may return. */
import { OsirisError } from '../diagnostics/diagnostic.js';

/** Largest tool arguments (JSON) and HTTP request body accepted. */
export const MAX_REQUEST_BYTES = 1024 * 1024;
/** Largest tool result or resource (JSON) returned. */
export const MAX_RESPONSE_BYTES = 2 * 1024 * 1024;

export const REQUEST_TOO_LARGE = 'MCP040';
export const RESPONSE_TOO_LARGE = 'MCP041';

export function checkRequestSize(bytes: number): void {
  if (bytes <= MAX_REQUEST_BYTES) return;
  throw OsirisError.of(
    REQUEST_TOO_LARGE,
    `the request is ${bytes} bytes, more than the ${MAX_REQUEST_BYTES} bytes allowed`,
    {},
    { hint: 'send a smaller pipeline or query; put large pipelines in a project file and pass its path' },
  );
}

export function checkResponseSize(bytes: number, what: string): void {
  if (bytes <= MAX_RESPONSE_BYTES) return;
  throw OsirisError.of(
    RESPONSE_TOO_LARGE,
    `the result of ${what} is ${bytes} bytes, more than the ${MAX_RESPONSE_BYTES} bytes allowed`,
    {},
    {
      hint: 'ask for less: fewer tables or samples, a smaller limit, or the Markdown run card instead of the JSON',
    },
  );
}
