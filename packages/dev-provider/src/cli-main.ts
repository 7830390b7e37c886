import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { DevProviderError } from './errors.js'
import { start } from './start.js'
import type { DevProvider, DevProviderOptions } from './types.js'

const USAGE = `Usage: oidc-hybrid-dev-provider [--port 4000] [--host 127.0.0.1] [--config ./file.json]

Starts a local, Auth0-like OpenID Provider for development.

  --port    TCP port (default 4000; 0 picks a free one)
  --host    interface to bind (default 127.0.0.1)
  --config  JSON file with any of: issuer, port, host, clients, users, apis, organizations,
            accessTokenTTL, idTokenTTL, signingAlg, cookieKeys, and the behaviour options
            rotateRefreshTokens, refreshScope, refreshIdTokenClaims, codeIdTokenClaims,
            extraIdTokenAudiences, idTokenAuthTime (see the package README)
  --help    show this text
`

/** What the CLI needs from its process; injected so it can be tested in-process. */
export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
  exit(code: number): void
  onSignal(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void
}

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Ends the run with a message on stderr and exit code 1. */
class CliFailure extends Error {}

async function readConfig(path: string): Promise<DevProviderOptions> {
  let text: string
  try {
    text = await readFile(resolve(path), 'utf8')
  } catch (error) {
    throw new CliFailure(`cannot read --config ${path}: ${(error as Error).message}`)
  }
  let config: unknown
  try {
    config = JSON.parse(text)
  } catch (error) {
    throw new CliFailure(`--config ${path} is not valid JSON: ${(error as Error).message}`)
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new CliFailure(`--config ${path} must contain a JSON object`)
  }
  return config as DevProviderOptions
}

function summary(op: DevProvider): string {
  const lines = [
    `OpenID Provider running at ${op.url}`,
    '',
    `  issuer     ${op.issuer}`,
    `  discovery  ${op.issuer}.well-known/openid-configuration`,
    '',
    'Clients:',
  ]
  for (const client of op.clients) {
    lines.push(`  ${client.client_id}  (${client.token_endpoint_auth_method})`)
    if (client.client_secret !== undefined) lines.push(`    secret         ${client.client_secret}`)
    lines.push(`    redirect_uris  ${client.redirect_uris.join(' ')}`)
  }
  lines.push('', 'Users:')
  for (const user of op.users) lines.push(`  ${user.email} / ${user.password}  (sub ${user.sub})`)
  if (op.apis.length > 0) {
    lines.push('', 'APIs (audience):')
    for (const api of op.apis) lines.push(`  ${api.identifier}  scopes: ${api.scopes.join(' ')}`)
  }
  if (op.organizations.length > 0) {
    lines.push('', 'Organizations:')
    for (const org of op.organizations) lines.push(`  ${org.id}  ${org.name}`)
  }
  lines.push('', 'Press Ctrl+C to stop.', '')
  return lines.join('\n')
}

async function run(argv: string[], io: CliIo): Promise<void> {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values']
  try {
    values = parseArgs({
      args: argv,
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
    }).values
  } catch (error) {
    throw new CliFailure(`${(error as Error).message}\n\n${USAGE}`)
  }
  if (values.help) {
    io.stdout(USAGE)
    io.exit(0)
    return
  }
  const config = values.config === undefined ? {} : await readConfig(values.config)
  const port = values.port === undefined ? (config.port ?? 4000) : Number(values.port)

  let op: DevProvider
  try {
    op = await start({
      ...config,
      port,
      host: values.host ?? config.host ?? '127.0.0.1',
      logger: {
        info: (message) => io.stdout(`${message}\n`),
        error: (message, error) =>
          io.stderr(`${message}${error instanceof Error ? `: ${error.stack}` : ''}\n`),
      },
    })
  } catch (error) {
    if (error instanceof DevProviderError) throw new CliFailure(error.message)
    throw error
  }
  io.stdout(summary(op))

  const stop = () => {
    op.close().then(
      () => io.exit(0),
      (error: unknown) => {
        io.stderr(`failed to stop cleanly: ${String(error)}\n`)
        io.exit(1)
      },
    )
  }
  io.onSignal('SIGINT', stop)
  io.onSignal('SIGTERM', stop)
}

/**
 * The `oidc-hybrid-dev-provider` command: starts the provider, prints the issuer and the client
 * and user credentials, and stops cleanly on SIGINT/SIGTERM.
 */
export async function runCli(argv: string[], io: CliIo): Promise<void> {
  try {
    await run(argv, io)
  } catch (error) {
    if (!(error instanceof CliFailure)) throw error
    io.stderr(`oidc-hybrid-dev-provider: ${error.message}\n`)
    io.exit(1)
  }
}
