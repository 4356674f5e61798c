export * from './bus.permissions';
export * from './bus.identities';
export * from './nats-server.config';
