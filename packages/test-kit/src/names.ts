/** The session cookie's name with the default configuration on a secure origin (chunks add `.N`). */
export const SESSION = '__Host-appSession'
/** The prefix of the transaction (login in progress) cookies' names. */
export const TRANSACTION = '__Host-oidc_tx_'
