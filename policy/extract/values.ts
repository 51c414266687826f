/**
 * Reading resource properties that may be unknown.
 *
 * The engine sends preview values it does not know yet as sentinel strings, and
 * @pulumi/policy wraps properties in a proxy that throws on reading one. A policy
 * that lets that exception escape is reported as "can't run during preview" and
 * says nothing else, which would hide the violations the known values show. So
 * extraction first copies the properties into plain values, turning every
 * unknown into `unknown` and unwrapping secrets, and then reads them with the
 * typed helpers below, which never throw.
 */

/** Marks a value the engine does not know yet. */
export const unknown: unique symbol = Symbol("unknown");
export type Unknown = typeof unknown;

export type Value =
  Unknown | null | boolean | number | string | readonly Value[] | { readonly [key: string]: Value };

export type Known<T> = T | Unknown | undefined;

/** The sentinels of the wire format, one per type; the engine mostly sends the string one. */
const unknownSentinels = new Set([
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

const signatureKey = "4dabf18193072939515e22adb298388d";

/**
 * @pulumi/policy's unknown-checking proxy answers these keys with a marker and its
 * plain target. Reading the target directly is the same data (unknowns stay as
 * the wire sentinels) without a proxy trap on every property, which at tens of
 * thousands of resources is most of the pack's time.
 */
const proxyMarker = "__isSpecialProxy";
const proxyTarget = "__getSpecialProxyTarget";

function unwrapProxy(input: object): object {
  if (readProperty(input, proxyMarker) !== true) return input;
  const target = readProperty(input, proxyTarget);
  return typeof target === "object" && target !== null ? target : input;
}
const secretSignature = "1b47061264138c4ac30d75fd1eb44270";

/** Reads `object[key]`, treating an exception from the unknown-checking proxy as unknown. */
function readProperty(object: object, key: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch {
    return unknown;
  }
}

/**
 * Copies a property value into a plain `Value`. Works on raw wire values,
 * deserialised values and @pulumi/policy's proxies alike.
 */
export function toValue(value: unknown, depth = 0): Value {
  const input =
    depth === 0 && typeof value === "object" && value !== null ? unwrapProxy(value) : value;
  if (input === unknown || depth > 64) return unknown;
  if (input === null || input === undefined) return null;
  if (typeof input === "string") return unknownSentinels.has(input) ? unknown : input;
  if (typeof input === "number" || typeof input === "boolean") return input;
  if (typeof input !== "object") return unknown;
  if (Array.isArray(input)) {
    const length = readProperty(input, "length");
    if (typeof length !== "number") return unknown;
    const items: Value[] = [];
    for (let i = 0; i < length; i++) items.push(toValue(readProperty(input, String(i)), depth + 1));
    return items;
  }
  if (readProperty(input, signatureKey) === secretSignature) {
    return toValue(readProperty(input, "value"), depth + 1);
  }
  const result: Record<string, Value> = {};
  for (const key of Object.keys(input)) {
    const value = readProperty(input, key);
    // An unset property arrives as null or not at all; readers see both as absent.
    if (value !== null && value !== undefined) result[key] = toValue(value, depth + 1);
  }
  return result;
}

export function isRecord(value: Value | undefined): value is { readonly [key: string]: Value } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Follows a path of keys and indexes; unknown if any step is unknown, undefined if absent. */
export function at(
  value: Value | undefined,
  ...path: readonly (string | number)[]
): Value | undefined {
  let current: Value | undefined = value;
  for (const step of path) {
    if (current === unknown) return unknown;
    if (typeof step === "number") {
      if (!Array.isArray(current)) return undefined;
      current = (current as readonly Value[])[step];
    } else {
      if (!isRecord(current)) return undefined;
      current = current[step];
    }
  }
  return current === null ? undefined : current;
}

export function asString(value: Value | undefined): Known<string> {
  if (value === unknown || typeof value === "string") return value;
  return undefined;
}

/** Numbers, and integer strings (YAML and Helm values often carry numbers as text). */
export function asNumber(value: Value | undefined): Known<number> {
  if (value === unknown || typeof value === "number") return value;
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

export function asBoolean(value: Value | undefined): Known<boolean> {
  if (value === unknown || typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  return undefined;
}

export function asArray(value: Value | undefined): Known<readonly Value[]> {
  if (value === unknown) return unknown;
  return Array.isArray(value) ? (value as readonly Value[]) : undefined;
}

/** Drops the unknown marker: rules see unknown and absent alike as `undefined`. */
export function known<T>(value: Known<T>): T | undefined {
  return value === unknown ? undefined : value;
}

/** Whether two copied values hold the same data (`unknown` equals only `unknown`). */
export function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  const left = a as { readonly [key: string]: Value };
  const right = b as { readonly [key: string]: Value };
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(right, key) || !sameValue(left[key], right[key])) return false;
  }
  return true;
}
