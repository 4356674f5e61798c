/** The JetStream stream that holds every certflow event. Created at start if missing. */
export const STREAM_NAME = 'CERTFLOW';
/** Every durable event subject starts with this prefix; the stream captures `certflow.>`. */
export const STREAM_SUBJECTS = ['certflow.>'];

/**
 * Subjects of synchronous queries and commands between services (core NATS request/reply). They
 * sit outside `certflow.>` on purpose: a question is not a fact and must not be stored in the stream.
 */
export const RPC = {
  hostAssignments: 'rpc.certflow.assignment.host-assignments',
  trustImport: 'rpc.certflow.trust.import',
  trustList: 'rpc.certflow.trust.list',
  trustRemove: 'rpc.certflow.trust.remove',
  certificateLookup: 'rpc.certflow.trust.certificate',
  /** ca-gateway: an internal issuer's current CRL (it alone holds the CA key). */
  pkiCrl: 'rpc.certflow.pki.crl',
  /** ca-gateway: the internal issuer's signed answer to an OCSP request. */
  pkiOcsp: 'rpc.certflow.pki.ocsp',
  ping: (service: string) => `rpc.certflow.${service}.ping`,
} as const;
