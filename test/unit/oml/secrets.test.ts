// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OML syntax writes ${…} literally
import { describe, expect, it } from 'vitest';
import { resolveParams } from '../../../src/oml/params.js';
import { COMMON_SECRET_KEYS, findInlineSecrets, secretKeyNames } from '../../../src/oml/secrets.js';
import { validateOml } from '../../../src/oml/validate.js';
import { doc, registry } from './fixtures.js';

const keys = secretKeyNames(registry);

const step = (config: string) =>
  doc(`oml_version: "0.1.0"
name: demo
steps:
  - id: g
    component: graphql.extractor
    mode: read
    config:
${config}
`);

describe('secretKeyNames', () => {
  it('unites the common names and every spec secret head, minus primary_key and url', () => {
    expect(keys).toEqual([...keys].sort());
    for (const k of ['password', 'token', 'key', 'dsn', 'auth_token', 'headers']) expect(keys).toContain(k);
    expect(keys).not.toContain('primary_key');
    expect(keys).not.toContain('url');
    expect(COMMON_SECRET_KEYS.length).toBeGreaterThan(10);
  });
});

describe('findInlineSecrets', () => {
  it('flags a literal under a secret key, at the value, without echoing it', () => {
    const [d, ...rest] = findInlineSecrets(
      step('      endpoint: https://x\n      auth_token: s3cr3t-value'),
      keys,
    );
    expect(rest).toEqual([]);
    expect(d?.code).toBe('OML042');
    expect(d?.severity).toBe('error');
    expect(d?.stepId).toBe('g');
    expect([d?.location.line, d?.location.col, d?.location.path]).toEqual([
      9,
      19,
      'steps[0].config.auth_token',
    ]);
    expect(JSON.stringify(d)).not.toContain('s3cr3t');
  });

  it('matches key names case-insensitively and at any depth', () => {
    const list = findInlineSecrets(
      doc(`oml_version: "0.1.0"
name: demo
metadata: { Password: abcdef }
params: { api_key: xyz }
steps:
  - id: s
    component: custom.writer
    mode: write
    config:
      nested: [{ deep: { TOKEN: tok } }]
`),
      keys,
    );
    expect(list.map((d) => d.location.path)).toEqual([
      'metadata.Password',
      'params.api_key',
      'steps[0].config.nested[0].deep.TOKEN',
    ]);
  });

  it('flags numbers and values set from params, but not ${ENV} references, empty values or mappings', () => {
    const list = findInlineSecrets(
      step(
        '      password: 123456\n      token: "${params.tok}"\n      secret: "${VAULT_SECRET}"\n      key: ""\n      headers: { Authorization: "${AUTH}" }\n      dsn: null\n      api_key: true',
      ),
      keys,
    );
    expect(list.map((d) => [d.location.path, d.message])).toEqual([
      [
        'steps[0].config.password',
        "inline secret: 'steps[0].config.password' holds a literal value; secrets must not appear in OML",
      ],
      [
        'steps[0].config.token',
        "inline secret: 'steps[0].config.token' holds a value taken from param 'tok' (params are written to the manifest); secrets must not appear in OML",
      ],
    ]);
  });

  it('flags text around a reference', () => {
    expect(findInlineSecrets(step('      password: "pre-${X}"'), keys)).toHaveLength(1);
  });

  it('never flags primary_key or url', () => {
    expect(
      findInlineSecrets(step('      primary_key: id\n      url: https://db.example.com'), [
        ...keys,
        'primary_key',
        'url',
      ]),
    ).toEqual([]);
  });

  it('scans the document as written even when given the resolved one', () => {
    const source = doc(
      `params: { t: abc }\nsteps:\n  - id: g\n    component: graphql.extractor\n    mode: read\n    config:\n      auth_token: "\${params.t}"\n`,
    );
    const resolved = resolveParams(source, {});
    expect(findInlineSecrets(resolved.document, keys).map((d) => d.message)).toEqual([
      "inline secret: 'steps[0].config.auth_token' holds a value taken from param 't' (params are written to the manifest); secrets must not appear in OML",
    ]);
  });

  it('runs inside validateOml with the registry secret keys', () => {
    const list = validateOml(
      step('      endpoint: https://x\n      headers: { a: b }\n      auth_token: abcdef'),
      { registry },
    );
    expect(list.map((d) => d.code)).toEqual(['OML042']);
    const custom = validateOml(step('      endpoint: https://x\n      auth_token: abcdef'), {
      registry,
      secretKeys: ['endpoint'],
    });
    expect(custom.map((d) => d.location.path)).toEqual(['steps[0].config.endpoint']);
  });
});
