/**
 * @oidc-hybrid/test-kit: what the test suites of the adapters, the conformance runner and the
 * examples share. Test code only (private, loaded from source by vitest and tsc).
 */
export {
  type BearerCall,
  expectBasicChallenged,
  expectCleanReturnFromLogout,
  expectDiscoveryCheckOverridable,
  expectInsufficientScope,
  expectLoggedOut,
  expectLoginComesBack,
  expectProviderOutage,
  type LoginAnswer,
  logInAndOut,
  loginAnswer,
} from './assertions.js'
export {
  type Browser,
  type BrowserOptions,
  createBrowser,
  type LoginOptions,
  type ProviderLogin,
  type RequestBody,
  type Send,
} from './browser.js'
export {
  CHROMIUM_PATH,
  chromiumLaunchOptions,
  jwtPayload,
  unlistedCodeTokenDiscovery,
} from './fixtures.js'
export { Jar, type JarOptions, parseSetCookie, type SetCookie } from './jar.js'
export { SESSION, TRANSACTION } from './names.js'
export {
  type HybridClientOptions,
  hybridClient,
  startTestProvider,
  type TestProvider,
  type TestProviderOptions,
} from './provider.js'
export {
  REDIS_SERVER,
  type RedisServer,
  type StartRedisOptions,
  startRedis,
} from './redis.js'
export {
  closeServer,
  freePort,
  type Listener,
  listen,
  nodeHandler,
  type RawResponse,
  rawGet,
  serveFetch,
} from './server.js'
