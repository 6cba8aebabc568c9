/**
 * Connection references and their resolution at run time.
 *
 * `@family.alias` names one alias; `@family` names the family's default alias: the first alias with
 * `default: true`, else the alias literally named `default`. Only the chosen alias is interpolated, so an
 * unset variable of an unrelated connection never gets in the way. Step-level values of connection fields
 * override the connection per the component's `x-connection-fields` policy (allowed / warning), and
 * `forbidden` overrides are refused.
 */
import { type Diagnostic, diagnostic, OsirisError, type SourceLocation } from '../diagnostics/diagnostic.js';
import { closestMatch, didYouMean } from '../diagnostics/suggest.js';
import type { Registry } from '../registry/registry.js';
import type { ResolvedConnection } from '../runtime/driver.js';
import type { JsonObject, JsonValue } from '../yaml/json.js';
import {
  CONNECTION_NAME,
  CONNECTIONS_FILE,
  type ConnectionEntry,
  type ConnectionsConfig,
  getFamily,
} from './config.js';
import { interpolate } from './env.js';

export interface ConnectionRef {
  family: string;
  /** Undefined for `@family`: the family's default alias. */
  alias: string | undefined;
}

/** `@family.alias` or `@family`. */
export function formatConnectionRef(ref: ConnectionRef): string {
  return ref.alias === undefined ? `@${ref.family}` : `@${ref.family}.${ref.alias}`;
}

/** Whether a config value is meant as a connection reference (a string starting with `@`). */
export function isConnectionRef(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('@');
}

/** The family of a component: the part of its name before the first dot (`mysql.extractor` → `mysql`). */
export function componentFamily(componentName: string): string {
  const dot = componentName.indexOf('.');
  return dot < 0 ? componentName : componentName.slice(0, dot);
}

/**
 * Parses `@family.alias` or `@family`. Throws CON025 for anything else (no `@`, empty parts, characters
 * outside `[A-Za-z0-9_-]`, more than one dot).
 */
export function parseConnectionRef(ref: string, location: SourceLocation = {}): ConnectionRef {
  const fail = (why: string) =>
    OsirisError.of('CON025', `invalid connection reference '${ref}': ${why}`, location, {
      hint: 'write @family.alias (e.g. @mysql.primary) or @family for the default alias',
    });
  if (!ref.startsWith('@')) throw fail('it must start with @');
  const body = ref.slice(1);
  const dot = body.indexOf('.');
  const family = dot < 0 ? body : body.slice(0, dot);
  const alias = dot < 0 ? undefined : body.slice(dot + 1);
  if (!family) throw fail('the family is empty');
  if (!CONNECTION_NAME.test(family))
    throw fail(`the family '${family}' may only use letters, digits, _ and -`);
  if (alias !== undefined) {
    if (!alias) throw fail('the alias after the dot is empty');
    if (!CONNECTION_NAME.test(alias))
      throw fail(`the alias '${alias}' may only use letters, digits, _ and -`);
  }
  return { family, alias };
}

/**
 * Picks the alias a reference names, without interpolating anything. Throws a CON02x error listing what
 * exists (with a "did you mean") when the family or alias is unknown or a family has no default.
 */
export function selectConnection(
  connections: ConnectionsConfig,
  ref: ConnectionRef,
  location: SourceLocation = {},
): ConnectionEntry {
  const text = formatConnectionRef(ref);
  const families = connections.families.map((f) => f.name);
  if (families.length === 0) {
    const where = connections.file
      ? `${connections.displayFile ?? CONNECTIONS_FILE} defines none`
      : `${CONNECTIONS_FILE} not found`;
    throw OsirisError.of(
      'CON020',
      `cannot resolve ${text}: no connections are configured (${where})`,
      location,
      {
        hint: `run \`osiris init\` and define '${ref.family}' under 'connections:' in ${CONNECTIONS_FILE}`,
      },
    );
  }
  const family = getFamily(connections, ref.family);
  if (!family) {
    throw OsirisError.of(
      'CON021',
      `cannot resolve ${text}: unknown connection family '${ref.family}' (configured: ${families.join(', ')})`,
      location,
      {
        hint:
          didYouMean(ref.family, families) ??
          `add a '${ref.family}:' section under 'connections:' in ${CONNECTIONS_FILE}`,
      },
    );
  }
  const aliases = family.aliases.map((a) => a.alias);
  if (aliases.length === 0) {
    throw OsirisError.of(
      'CON022',
      `cannot resolve ${text}: connection family '${ref.family}' has no aliases`,
      location,
      {
        hint: `add an alias under '${ref.family}:' in ${CONNECTIONS_FILE}`,
      },
    );
  }
  if (ref.alias !== undefined) {
    const entry = family.aliases.find((a) => a.alias === ref.alias);
    if (!entry) {
      const match = closestMatch(ref.alias, aliases);
      throw OsirisError.of(
        'CON023',
        `cannot resolve ${text}: unknown alias '${ref.alias}' in connection family '${ref.family}' (aliases: ${aliases.join(', ')})`,
        location,
        {
          hint:
            match !== undefined
              ? `did you mean '@${ref.family}.${match}'?`
              : `use one of ${aliases.map((a) => `@${ref.family}.${a}`).join(', ')}`,
        },
      );
    }
    return entry;
  }
  const chosen = family.aliases.find((a) => a.isDefault) ?? family.aliases.find((a) => a.alias === 'default');
  if (!chosen) {
    throw OsirisError.of(
      'CON024',
      `cannot resolve ${text}: connection family '${ref.family}' has no default alias (aliases: ${aliases.join(', ')})`,
      location,
      {
        hint: `mark one alias with 'default: true', name an alias 'default', or reference one explicitly (e.g. @${ref.family}.${aliases[0]})`,
      },
    );
  }
  return chosen;
}

export interface ResolveConnectionOptions {
  connections: ConnectionsConfig;
  env: NodeJS.ProcessEnv;
  /** With `componentName`: checks the family matches the component and applies step-level overrides. */
  registry?: Registry;
  componentName?: string;
  /** The step's own config (explicitly set values): connection fields set here override the connection. */
  stepConfig?: JsonObject;
  stepId?: string;
  /** Where the reference is written (e.g. the OML step's `config.connection`), for resolution errors. */
  location?: SourceLocation;
  /** Receives warnings (overrides with policy `warning`). */
  onWarning?: (warning: Diagnostic) => void;
}

/**
 * Resolves `@family.alias` / `@family` to the connection's fields with `${VAR}` references expanded.
 * The result holds secrets: never log, persist or print it.
 */
export function resolveConnection(
  ref: string | ConnectionRef,
  options: ResolveConnectionOptions,
): ResolvedConnection {
  const location = options.location ?? {};
  const extra = options.stepId !== undefined ? { stepId: options.stepId } : {};
  const parsed = typeof ref === 'string' ? parseConnectionRef(ref, location) : ref;
  if (options.componentName !== undefined) {
    const expected = componentFamily(options.componentName);
    if (expected !== parsed.family) {
      throw OsirisError.of(
        'CON026',
        `connection ${formatConnectionRef(parsed)} is a '${parsed.family}' connection but component '${options.componentName}' needs a '${expected}' one`,
        location,
        { hint: `reference a connection of family '${expected}' (e.g. @${expected}.<alias>)`, ...extra },
      );
    }
  }
  const entry = selectConnection(options.connections, parsed, location);
  const label = `@${entry.family}.${entry.alias}`;
  const fields = interpolate(entry.fields, options.env, {
    connection: label,
    path: entry.path,
    locate: options.connections.locate,
  });
  let resolved: ResolvedConnection = { family: entry.family, alias: entry.alias, fields };
  if (options.registry && options.componentName !== undefined && options.stepConfig) {
    const result = applyConnectionOverrides(
      options.componentName,
      options.stepConfig,
      resolved,
      options.registry,
      {
        ...(options.stepId !== undefined ? { stepId: options.stepId } : {}),
      },
    );
    for (const w of result.warnings) options.onWarning?.(w);
    resolved = result.connection;
  }
  return resolved;
}

export interface OverrideResult {
  /** A new resolved connection with the step's values applied (the input is not modified). */
  connection: ResolvedConnection;
  /** Names of the fields the step overrode, sorted. */
  overridden: string[];
  /** One warning per overridden field with policy `warning`. */
  warnings: Diagnostic[];
}

/**
 * Applies step-level values of the component's connection fields (`x-connection-fields`) over the resolved
 * connection: `allowed` and `warning` fields take the step's value (`warning` also yields a warning),
 * `forbidden` ones throw CON040. Fields the spec does not declare as connection fields are left alone.
 *
 * `stepConfig` must hold what the step set itself; spec defaults filled in for connection fields would
 * otherwise replace the connection's values.
 */
export function applyConnectionOverrides(
  componentName: string,
  stepConfig: JsonObject,
  resolved: ResolvedConnection,
  registry: Registry,
  options: { stepId?: string } = {},
): OverrideResult {
  const label = `@${resolved.family}.${resolved.alias}`;
  const extra = options.stepId !== undefined ? { stepId: options.stepId } : {};
  const fields: Record<string, JsonValue> = { ...resolved.fields };
  const overridden: string[] = [];
  const warnings: Diagnostic[] = [];
  const refused: Diagnostic[] = [];
  const where = (name: string) => ({
    path: options.stepId !== undefined ? `steps.${options.stepId}.config.${name}` : `config.${name}`,
  });
  for (const field of [...registry.connectionFields(componentName)].sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const value = stepConfig[field.name];
    if (value === undefined) continue;
    if (field.override === 'forbidden') {
      refused.push(
        diagnostic(
          'error',
          'CON040',
          `'${field.name}' comes from connection ${label} and cannot be overridden by the step (component ${componentName})`,
          where(field.name),
          { hint: `remove '${field.name}' from the step config, or change it in the connection`, ...extra },
        ),
      );
      continue;
    }
    if (field.override === 'warning') {
      warnings.push(
        diagnostic(
          'warning',
          'CON041',
          `step overrides '${field.name}' of connection ${label} (component ${componentName})`,
          where(field.name),
          {
            hint: `this is allowed but discouraged: prefer setting '${field.name}' in the connection`,
            ...extra,
          },
        ),
      );
    }
    fields[field.name] = value;
    overridden.push(field.name);
  }
  if (refused.length > 0) throw new OsirisError(refused);
  return { connection: { family: resolved.family, alias: resolved.alias, fields }, overridden, warnings };
}
