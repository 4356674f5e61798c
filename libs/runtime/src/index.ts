export * from './config';
export * from './logger';
export * from './bootstrap';
export * from './health.responder';
export * from './issuers.config';
export * from './service-platform.module';
export * from './clock.provider';
