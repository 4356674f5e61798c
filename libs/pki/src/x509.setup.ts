// @peculiar/x509 needs reflect-metadata loaded before it, and a WebCrypto provider set once.
// Every module of this lib that touches @peculiar/x509 imports this file first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(globalThis.crypto);

export { x509 };
