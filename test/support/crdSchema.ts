/**
 * Checks a value against a CRD's structural OpenAPI v3 schema the way the API
 * server treats a custom resource: wrong types and enum values are rejected, and
 * fields the schema does not declare are reported too (the server would silently
 * prune them, which for a spec means a setting that never takes effect).
 */

export interface SchemaNode {
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: SchemaNode | boolean;
  readonly items?: SchemaNode;
  readonly required?: readonly string[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly anyOf?: readonly SchemaNode[];
  readonly "x-kubernetes-int-or-string"?: boolean;
  readonly "x-kubernetes-preserve-unknown-fields"?: boolean;
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** Every way `value` breaks `schema`, as `path: problem`; empty when it conforms. */
export function schemaErrors(schema: SchemaNode, value: unknown, path = "spec"): string[] {
  const errors: string[] = [];
  const actual = typeOf(value);
  if (schema["x-kubernetes-int-or-string"]) {
    if (actual !== "integer" && actual !== "string") errors.push(`${path}: not an int or string`);
    return errors;
  }
  if (schema.type !== undefined) {
    const fits = schema.type === actual || (schema.type === "number" && actual === "integer");
    if (!fits) return [`${path}: ${JSON.stringify(value)} is ${actual}, not ${schema.type}`];
  }
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum)
      errors.push(`${path}: ${value} < ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      errors.push(`${path}: ${value} > ${schema.maximum}`);
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      errors.push(`${path}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      errors.push(`${path}: longer than ${schema.maxLength}`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value))
      errors.push(`${path}: does not match ${schema.pattern}`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, index) =>
      errors.push(...schemaErrors(schema.items!, item, `${path}[${index}]`)),
    );
  }
  if (actual === "object") {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (!(key in object)) errors.push(`${path}.${key}: required`);
    }
    for (const [key, child] of Object.entries(object)) {
      const declared = schema.properties?.[key];
      if (declared) errors.push(...schemaErrors(declared, child, `${path}.${key}`));
      else if (typeof schema.additionalProperties === "object")
        errors.push(...schemaErrors(schema.additionalProperties, child, `${path}.${key}`));
      else if (
        schema.additionalProperties !== true &&
        !schema["x-kubernetes-preserve-unknown-fields"]
      )
        errors.push(`${path}.${key}: not in the schema (the API server would prune it)`);
    }
  }
  return errors;
}
