export * from './subjects';
export * from './usages';
export * from './request-state';
export * from './envelope';
export * from './views';
export * from './events';
export * from './rpc';
export * from './events.doc';
