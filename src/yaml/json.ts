/** Plain JSON values: what parsed YAML documents, configs and manifests are made of. */
export type JsonPrimitive = null | boolean | number | string;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A path inside a document: keys and list indexes. */
export type DocPath = readonly (string | number)[];

/** `['steps', 2, 'config', 'table']` → `steps[2].config.table`; `[]` → `root`. */
export function formatPath(path: DocPath): string {
  if (path.length === 0) return 'root';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}
