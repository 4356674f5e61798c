import { z } from 'zod';
import { BaseConfigSchema } from '@certflow/runtime';

/** The assignment service's settings, all from the environment: only the base ones so far. */
export const AssignmentConfigSchema = BaseConfigSchema;
export type AssignmentConfig = z.infer<typeof AssignmentConfigSchema>;

export const SERVICE = 'assignment';
export const SCHEMA = 'assignment';
/** Injection token of the loaded configuration. */
export const ASSIGNMENT_CONFIG = 'ASSIGNMENT_CONFIG';
