/**
 * A tool as both transports see it: a name, a description written for models, zod input and output shapes
 * (the MCP server publishes them as JSON Schema; the AI SDK takes zod directly) and one implementation.
 */
import type { z } from 'zod';
import type { ToolContext } from './context.js';

export interface ToolSpec<I extends z.ZodRawShape = z.ZodRawShape, O extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  /** False for the tools that write files (compile) or data (run). */
  readOnly: boolean;
  execute(ctx: ToolContext, args: z.output<z.ZodObject<I>>): Promise<z.output<z.ZodObject<O>>>;
}

/** Keeps the literal types of one spec (an identity function the compiler can infer through). */
export function defineTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(
  spec: ToolSpec<I, O>,
): ToolSpec<I, O> {
  return spec;
}
