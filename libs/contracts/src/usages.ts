import { z } from 'zod';

/**
 * Certificate usages, named as Skype for Business Server names them.
 * - `Default`: server default, mutual TLS — needs server and client authentication.
 * - `WebServicesInternal`, `WebServicesExternal`: TLS for web services — need server authentication.
 */
export const USAGES = ['Default', 'WebServicesInternal', 'WebServicesExternal'] as const;
export type Usage = (typeof USAGES)[number];
export const UsageSchema = z.enum(USAGES);
/** What a request gets when it names no usages. */
export const DEFAULT_USAGES: Usage[] = [...USAGES];

export function isUsage(value: unknown): value is Usage {
  return typeof value === 'string' && (USAGES as readonly string[]).includes(value);
}
