export * from './table';
export * from './write-plan';
export * from './fact.handler';
export * from './fact.processor';
export * from './fact.pattern';
export * from './fact-batch.runner';
export * from './fact-tx';
