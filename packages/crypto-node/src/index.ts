/**
 * @oidc-hybrid/crypto-node — a `node:crypto` implementation of the core's `CryptoProvider`:
 * the same sealed-cookie format and the same verification results as the default WebCrypto
 * provider, at a fraction of its cost per signature, hash and cookie on Node.js.
 */
export { NodeCryptoProvider } from './node-crypto.js'
