export type {
  AuthorizationResponse,
  CompleteLoginOptions,
  LoginCredentials,
} from './complete-login.js'
export { CookieJar, completeLogin, completeLogout } from './complete-login.js'
export {
  defaultApis,
  defaultClients,
  defaultCustomClaims,
  defaultOrganizations,
  defaultUsers,
} from './defaults.js'
export type { DevProviderErrorCode } from './errors.js'
export { DevProviderConfigError, DevProviderError, LoginFlowError } from './errors.js'
export { start } from './start.js'
export type {
  CustomClaimsContext,
  DevApi,
  DevClient,
  DevGrantType,
  DevOrganization,
  DevProvider,
  DevProviderLogger,
  DevProviderOptions,
  DevResponseType,
  DevUser,
  JwkSet,
  OidcProviderInstance,
  PublicJwk,
  TokenEndpointAuthMethod,
} from './types.js'
