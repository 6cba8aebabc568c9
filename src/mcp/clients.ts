/**
 * Ready-to-paste client configuration. Every client starts the server the same way: this Node, this
 * Osiris's `bin/osiris.js` (absolute, so no PATH or npx is involved), `mcp serve --project <root>` —
 * the project is an argument because Claude Desktop has no working-directory setting.
 */
import { fileURLToPath } from 'node:url';

export interface ServerCommand {
  command: string;
  args: string[];
}

export interface ClientConfig {
  client: 'claude-desktop' | 'claude-code' | 'cursor' | 'vscode';
  title: string;
  /** Where the snippet goes. */
  file: string;
  config: Record<string, unknown>;
  /** A command that installs it instead, when the client has one. */
  command?: string;
}

export const CLIENT_NAMES = ['claude-desktop', 'claude-code', 'cursor', 'vscode'] as const;

/** `bin/osiris.js` of this installation (three folders up from dist/mcp or src/mcp). */
export function osirisBin(): string {
  return fileURLToPath(new URL('../../bin/osiris.js', import.meta.url));
}

export function serverCommand(projectRoot: string): ServerCommand {
  return { command: process.execPath, args: [osirisBin(), 'mcp', 'serve', '--project', projectRoot] };
}

function desktopConfigFile(): string {
  if (process.platform === 'darwin') return '~/Library/Application Support/Claude/claude_desktop_config.json';
  if (process.platform === 'win32') return '%APPDATA%\\Claude\\claude_desktop_config.json';
  return '~/.config/Claude/claude_desktop_config.json';
}

const quote = (s: string) => (/^[A-Za-z0-9_./:@=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function clientConfigs(projectRoot: string): ClientConfig[] {
  const server = serverCommand(projectRoot);
  const entry = { command: server.command, args: server.args };
  return [
    {
      client: 'claude-desktop',
      title: 'Claude Desktop',
      file: desktopConfigFile(),
      config: { mcpServers: { osiris: entry } },
    },
    {
      client: 'claude-code',
      title: 'Claude Code',
      file: `${projectRoot}/.mcp.json`,
      config: { mcpServers: { osiris: { type: 'stdio', ...entry } } },
      command: `claude mcp add --scope project osiris -- ${[server.command, ...server.args].map(quote).join(' ')}`,
    },
    {
      client: 'cursor',
      title: 'Cursor',
      file: `${projectRoot}/.cursor/mcp.json`,
      config: { mcpServers: { osiris: entry } },
    },
    {
      client: 'vscode',
      title: 'VS Code',
      file: `${projectRoot}/.vscode/mcp.json`,
      config: { servers: { osiris: { type: 'stdio', ...entry } } },
    },
  ];
}
