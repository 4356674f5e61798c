export * from './service-database.options';
export * from './pg-error.codes';
export * from './database.provisioner';
export * from './service-data-source.factory';
export * from './persistence.module';
export * from './prepared.query';
export * from './service-roles';
export * from './service-roles.names';
export { statementName } from './statement.group';
