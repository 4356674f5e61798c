/**
 * Injection token of the service's pino logger, for code on the HTTP side (the error filter, the
 * console streams) and the consumers. Here, in the kernel, so that any module may inject it without
 * importing a sibling (it used to live in error.filter.ts, which the console then had to import).
 */
export const HTTP_LOGGER = 'HTTP_LOGGER';
