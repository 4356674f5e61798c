// One jest run, three projects: unit specs beside the code, integration specs against the real
// PostgreSQL and NATS, end-to-end specs against all four services started as processes.
const fs = require('node:fs');
const swcrc = JSON.parse(fs.readFileSync(__dirname + '/.swcrc', 'utf8'));
delete swcrc.$schema;

// NestJS 12 and a few of its dependencies ship ES modules only; jest runs CommonJS, so let swc
// compile them too (see ../shared/STACK.md).
// pkijs 4 and asn1js (OCSP in ca-gateway) too, with their ESM-only dependencies.
const esmOnly = [
  '@nestjs', 'uid', 'file-type', 'load-esm', 'token-types', 'strtok3', '@tokenizer', 'uint8array-extras',
  'pkijs', 'asn1js', 'bytestreamjs', '@noble/hashes', '@peculiar/utils',
];

const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', { ...swcrc, jsc: { ...swcrc.jsc, parser: { syntax: 'typescript', decorators: true } }, module: { type: 'commonjs', ignoreDynamic: false } }] },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper: { '^@certflow/([^/]+)$': '<rootDir>/libs/$1/src/index.ts' },
  setupFiles: ['reflect-metadata'],
  modulePathIgnorePatterns: ['<rootDir>/dist', '<rootDir>/.*/dist/'],
};

module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{libs,services}/*/src/**/*.spec.ts', '<rootDir>/test/architecture/**/*.spec.ts'] },
    { ...base, displayName: 'integration', testMatch: ['<rootDir>/{libs,services}/*/src/**/*.int-spec.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
  ],
};
