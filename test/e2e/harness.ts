// The e2e specs and `npm run bench` start certflow the same way: the harness lives in libs/testing.
export { startCertflow, waitForRequest, opensslCsr, SERVICES, type Certflow, type ServiceName } from '@certflow/testing';
