// The Node-native crypto provider, as published (the bench imports built packages).
export { NodeCryptoProvider } from '@oidc-hybrid/crypto-node'
