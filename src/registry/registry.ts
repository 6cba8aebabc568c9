/**
 * The component registry: specs by name, their derived facts (connection fields, secret keys) and the
 * problems found while loading. Built from disk by `loadRegistry` (load.ts) or from memory in tests.
 */
import { createHash } from 'node:crypto';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { ComponentMode, ComponentSpec, ConnectionField, LoadedComponent, OmlMode } from './types.js';

const OML_TO_COMPONENT_MODE: Record<OmlMode, ComponentMode> = {
  read: 'extract',
  write: 'write',
  transform: 'transform',
};

export const OML_MODES: readonly OmlMode[] = ['read', 'transform', 'write'];

export function toComponentMode(mode: OmlMode): ComponentMode {
  return OML_TO_COMPONENT_MODE[mode];
}

/** Whether a component accepts an OML mode (`write` also accepts the deprecated `load`). */
export function supportsOmlMode(spec: ComponentSpec, mode: OmlMode): boolean {
  const mapped = toComponentMode(mode);
  return spec.modes.includes(mapped) || (mapped === 'write' && spec.modes.includes('load'));
}

/** The OML modes a component accepts, for error messages. */
export function omlModesOf(spec: ComponentSpec): OmlMode[] {
  return OML_MODES.filter((m) => supportsOmlMode(spec, m));
}

/** First segment of a JSON pointer: `/resolved_connection/password` → `resolved_connection`. */
export function pointerHead(pointer: string): string {
  return pointer.split('/')[1] ?? '';
}

export class Registry {
  private readonly byName: Map<string, LoadedComponent>;

  /**
   * @param components valid components
   * @param problems   why specs were rejected or what is wrong with them (reported, never dropped silently)
   */
  constructor(
    components: readonly LoadedComponent[],
    readonly problems: readonly Diagnostic[] = [],
  ) {
    this.byName = new Map(
      [...components].sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1)).map((c) => [c.spec.name, c]),
    );
  }

  get(name: string): LoadedComponent | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Component names, sorted. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Components sorted by name. */
  list(): LoadedComponent[] {
    return [...this.byName.values()];
  }

  /**
   * Fields a connection provides for this component, with their override policy. Simple string lists
   * mean `allowed`; without `x-connection-fields`, the heads of the secret pointers are `forbidden`.
   */
  connectionFields(name: string): ConnectionField[] {
    const spec = this.byName.get(name)?.spec;
    if (!spec) return [];
    const declared = spec['x-connection-fields'];
    if (declared) {
      return declared.map((f) =>
        typeof f === 'string'
          ? { name: f, override: 'allowed' }
          : { name: f.name, override: f.override ?? 'allowed' },
      );
    }
    const heads = new Set([...(spec.secrets ?? []), ...(spec['x-secret'] ?? [])].map(pointerHead));
    heads.delete('resolved_connection');
    return [...heads].sort().map((n) => ({ name: n, override: 'forbidden' }));
  }

  /** Top-level config keys that hold secrets for this component (heads of `secrets` and `x-secret`). */
  secretKeys(name: string): string[] {
    const spec = this.byName.get(name)?.spec;
    if (!spec) return [];
    const heads = new Set([...(spec.secrets ?? []), ...(spec['x-secret'] ?? [])].map(pointerHead));
    heads.delete('resolved_connection'); // a run-time container of connection fields, not a config key
    return [...heads].sort();
  }

  /** Secret key names across every component: feeds the inline-secret scan and the redactor. */
  allSecretKeys(): string[] {
    const all = new Set<string>();
    for (const name of this.byName.keys()) for (const k of this.secretKeys(name)) all.add(k);
    return [...all].sort();
  }

  /** `sha256:` over every spec's name and exact bytes, in name order: changes whenever any spec changes. */
  fingerprint(): string {
    const hash = createHash('sha256');
    for (const c of this.byName.values()) {
      hash.update(c.spec.name).update('\0').update(c.specText).update('\0');
    }
    return `sha256:${hash.digest('hex')}`;
  }
}
