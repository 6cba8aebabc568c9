/** zod shapes several tools share. */
import { z } from 'zod';

export const connectionArg = z
  .string()
  .regex(/^@[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)?$/)
  .describe('connection reference, e.g. @mysql.movies or @postgres (the default alias)');

export const jsonRow = z.record(z.string(), z.unknown());

export const modelDiagnostic = z.object({
  severity: z.enum(['error', 'warning']),
  code: z.string(),
  message: z.string(),
  file: z.string().optional(),
  line: z.number().int().optional(),
  col: z.number().int().optional(),
  path: z.string().optional(),
  step: z.string().optional(),
  hint: z.string().optional(),
});

/** An OML pipeline: its text, or the path of a file inside the project. */
export const pipelineSource = {
  oml: z.string().min(1).max(200_000).optional().describe('the whole OML YAML document'),
  path: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .describe('an OML file inside the project folder (relative to it), instead of `oml`'),
};
