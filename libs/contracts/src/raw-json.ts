import { ClassConstructor, Exclude, instanceToPlain, plainToInstance } from 'class-transformer';

/**
 * Keys that name `Object.prototype` members or reach a prototype. class-transformer trips on them in free-form JSON
 * (an own `constructor` key throws, a key named like a method is dropped, `__proto__` replaces the prototype of the
 * object it builds), so they never reach it; declared properties of a class never have these names.
 */
const PROTOTYPE_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

const RAW_JSON_KEYS = Symbol('fedchat.rawJsonKeys');

type WithRawJsonKeys = { [RAW_JSON_KEYS]?: readonly string[] };

/**
 * A free-form JSON property (post props, a peer message's payload): kept exactly as received, whatever its keys,
 * instead of being rebuilt by class-transformer. Validate its shape with class-validator as usual (`@IsObject()`).
 * Read by `toInstance`, which every boundary (bus, HTTP validation, peer frames) uses instead of `plainToInstance`.
 */
export function RawJson(): PropertyDecorator {
  return (target, key) => {
    const owner = target.constructor as WithRawJsonKeys;
    const inherited = owner[RAW_JSON_KEYS] ?? [];
    Object.defineProperty(owner, RAW_JSON_KEYS, { value: [...inherited, String(key)], configurable: true });
    Exclude({ toClassOnly: true })(target, key);
  };
}

function rawJsonKeysOf(value: object): readonly string[] {
  const ctor = (value as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' ? ((ctor as WithRawJsonKeys)[RAW_JSON_KEYS] ?? []) : [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * `plainToInstance` that is safe for any JSON: prototype-named keys are left out of what class-transformer sees
 * (they are never declared properties, so validation with `whitelist` would drop them anyway), and `@RawJson()`
 * properties are then put back untouched from the input. The input is not modified.
 */
export function toInstance<T extends object>(cls: ClassConstructor<T>, plain: unknown): T {
  const instance = plainToInstance(cls, withoutPrototypeKeys(plain)) as T;
  restoreRawJson(instance, plain);
  return instance;
}

/**
 * The `transformerPackage` every Nest ValidationPipe of the suite must be given. Nest keeps one transformer per process
 * (a module variable of its pipe, set by the pipe constructed last), so a pipe constructed without it would switch
 * every other pipe, HTTP included, back to plain class-transformer, and `@RawJson()` properties would be mangled.
 */
export const contractTransformer = {
  plainToInstance: <T>(cls: ClassConstructor<T>, plain: unknown): T => toInstance(cls as ClassConstructor<T & object>, plain),
  classToPlain: (object: unknown): Record<string, unknown> => instanceToPlain(object),
};

/** A copy of a JSON value without prototype-named keys at any level (callers bound the depth of their input). */
function withoutPrototypeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPrototypeKeys);
  if (!isObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) if (!PROTOTYPE_KEYS.has(key)) copy[key] = withoutPrototypeKeys(value[key]);
  return copy;
}

/** Walks the built instance and its input side by side, copying each `@RawJson()` property from the input. */
function restoreRawJson(instance: unknown, plain: unknown): void {
  if (!isObject(instance) || !isObject(plain)) return;
  if (Array.isArray(instance)) {
    if (Array.isArray(plain)) instance.forEach((item, i) => restoreRawJson(item, plain[i]));
    return;
  }
  const rawKeys = rawJsonKeysOf(instance);
  for (const key of rawKeys) {
    if (Object.hasOwn(plain, key)) {
      Object.defineProperty(instance, key, { value: plain[key], enumerable: true, writable: true, configurable: true });
    }
  }
  for (const key of Object.keys(instance)) {
    if (!rawKeys.includes(key) && Object.hasOwn(plain, key)) restoreRawJson(instance[key], plain[key]);
  }
}
