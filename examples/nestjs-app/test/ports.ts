import { freePort } from '@oidc-hybrid/test-kit'

/**
 * Three distinct free ports of 127.0.0.1 for a demo: fixed ones collide with other test files
 * (here or in other examples) that turbo runs at the same time.
 */
export async function demoPorts(): Promise<{
  webPort: number
  apiPort: number
  providerPort: number
}> {
  const ports = new Set<number>()
  while (ports.size < 3) ports.add(await freePort())
  const [webPort, apiPort, providerPort] = [...ports] as [number, number, number]
  return { webPort, apiPort, providerPort }
}
