/**
 * `osiris mcp serve | clients | selftest`: the MCP server (stdio, or Streamable HTTP on 127.0.0.1 with a
 * bearer token), client configuration to paste, and a self-test through a real MCP client.
 * The SDK and the server load inside the actions.
 */
import { type Command, Option } from 'commander';
import type { ExitCodeValue } from '../../diagnostics/diagnostic.js';
import { configOption, jsonOption } from '../options.js';
import { type OutputOptions, runAction } from '../output.js';

interface ProjectFlags extends OutputOptions {
  project?: string;
  config?: string;
}

interface ServeFlags extends ProjectFlags {
  http?: string;
}

interface ClientsFlags extends ProjectFlags {
  client?: string;
}

const projectOption = () =>
  new Option('--project <dir>', 'project folder to serve (default: the current folder)');

export function register(program: Command): void {
  const mcp = program
    .command('mcp')
    .description('serve the Osiris tools to AI assistants over the Model Context Protocol');

  mcp
    .command('serve')
    .description('run the MCP server: stdio (default), or Streamable HTTP on 127.0.0.1 with --http <port>')
    .option('--http <port>', 'serve Streamable HTTP on 127.0.0.1:<port> (needs OSIRIS_MCP_TOKEN)')
    .addOption(projectOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action((flags: ServeFlags) => runAction(flags, () => serveAction(flags)));

  mcp
    .command('clients')
    .description('print configuration for Claude Desktop, Claude Code, Cursor and VS Code')
    .addOption(
      new Option('--client <name>', 'only this client').choices([
        'claude-desktop',
        'claude-code',
        'cursor',
        'vscode',
      ]),
    )
    .addOption(projectOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action((flags: ClientsFlags) => runAction(flags, () => clientsAction(flags)));

  mcp
    .command('selftest')
    .description('start the server, list its tools through an MCP client and call a harmless one')
    .addOption(projectOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action((flags: ProjectFlags) => runAction(flags, () => selftestAction(flags)));
}

async function projectCwd(flags: ProjectFlags): Promise<string> {
  const { resolve } = await import('node:path');
  const { existsSync, statSync } = await import('node:fs');
  const dir = resolve(process.cwd(), flags.project ?? '.');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const { OsirisError } = await import('../../diagnostics/diagnostic.js');
    throw OsirisError.of(
      'MCP005',
      `project folder '${flags.project}' does not exist`,
      { path: '--project' },
      {
        hint: 'give the folder that holds osiris.yaml',
      },
    );
  }
  return dir;
}

function parsePort(text: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  return port >= 0 && port <= 65_535 ? port : Number.NaN;
}

async function serveAction(flags: ServeFlags): Promise<ExitCodeValue> {
  const [{ OsirisError }, output] = await Promise.all([
    import('../../diagnostics/diagnostic.js'),
    import('../output.js'),
  ]);
  const cwd = await projectCwd(flags);
  let http: { port: number; token: string } | undefined;
  if (flags.http !== undefined) {
    const port = parsePort(flags.http);
    if (Number.isNaN(port)) {
      throw OsirisError.of(
        'CLI001',
        `--http must be a port number (0–65535), got '${flags.http}'`,
        {},
        {
          hint: 'e.g. --http 8765 (0 picks a free port)',
        },
      );
    }
    const { httpToken } = await import('../../mcp/serve.js');
    http = { port, token: httpToken(process.env) };
  }
  const { openToolContext } = await import('../../tools/context.js');
  const ctx = await openToolContext({
    cwd,
    env: process.env,
    ...(flags.config ? { configFile: flags.config } : {}),
    ...(http ? { extraSecrets: [http.token] } : {}),
  });
  const serve = await import('../../mcp/serve.js');
  const counter = { calls: 0 };
  if (!http) {
    await serve.serveStdio(ctx, counter);
  } else {
    let serving: Awaited<ReturnType<typeof serve.serveHttp>>;
    try {
      serving = await serve.serveHttp(ctx, http, counter);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw OsirisError.of(
        'MCP006',
        `cannot listen on 127.0.0.1:${http.port}: ${code ?? String(error)}`,
        {},
        {
          hint:
            code === 'EADDRINUSE' ? 'another process uses that port: pick another one' : 'pick another port',
        },
      );
    }
    output.printError(`osiris mcp: serving ${serving.url} (Authorization: Bearer $${serve.TOKEN_VARIABLE})`);
    // `on`, not `once`: the lock library's exit hook re-raises a signal nobody else is listening to.
    const stop = () => void serving.close();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    await serving.closed;
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (flags.json) {
    output.printJsonResult({ transport: http ? 'http' : 'stdio', tool_calls: counter.calls });
  }
  return 0;
}

async function clientsAction(flags: ClientsFlags): Promise<ExitCodeValue> {
  const [{ loadProjectConfig }, { clientConfigs }, output] = await Promise.all([
    import('../../project/config.js'),
    import('../../mcp/clients.js'),
    import('../output.js'),
  ]);
  const cwd = await projectCwd(flags);
  const project = loadProjectConfig({
    cwd,
    env: process.env,
    ...(flags.config ? { configFile: flags.config } : {}),
  });
  const clients = clientConfigs(project.root).filter((c) => !flags.client || c.client === flags.client);
  if (flags.json) {
    output.printJsonResult({ project: project.root, clients });
    return 0;
  }
  for (const c of clients) {
    output.printLine(`# ${c.title} — add to ${c.file}`);
    output.printLine(JSON.stringify(c.config, null, 2));
    if (c.command) {
      output.printLine(`# or run:`);
      output.printLine(c.command);
    }
    output.printLine();
  }
  output.printLine(
    `# HTTP instead: OSIRIS_MCP_TOKEN=<secret> osiris mcp serve --http 8765 --project ${project.root}`,
  );
  return 0;
}

async function selftestAction(flags: ProjectFlags): Promise<ExitCodeValue> {
  const [{ loadProjectConfig }, { selftest }, output] = await Promise.all([
    import('../../project/config.js'),
    import('../../mcp/selftest.js'),
    import('../output.js'),
  ]);
  const cwd = await projectCwd(flags);
  const project = loadProjectConfig({
    cwd,
    env: process.env,
    ...(flags.config ? { configFile: flags.config } : {}),
  });
  const report = await selftest(project.root, process.env);
  if (flags.json) {
    output.printJsonResult({ project: project.root, ...report });
    return 0;
  }
  output.printLine(`✓ ${report.server.name} MCP server ${report.server.version} (${project.root})`);
  output.printLine(`  tools (${report.tools.length}): ${report.tools.join(', ')}`);
  output.printLine(`  resources: ${report.resources} listed, ${report.resource_templates} templates`);
  output.printLine(`  prompts: ${report.prompts.join(', ')}`);
  output.printLine(
    `  ${report.call.tool}: answered in ${report.call.duration_ms} ms; self-test took ${report.duration_ms} ms`,
  );
  return 0;
}
