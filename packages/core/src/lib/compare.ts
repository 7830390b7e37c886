// Comparisons of secrets (state, nonce, hashes) whose timing must not depend on where they differ.

export function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ (b.charCodeAt(i) | 0)
  return diff === 0
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** An array of strings, each matching `pattern` when one is given. */
export function isStrings(value: unknown, pattern?: RegExp): value is string[] {
  return (
    Array.isArray(value) &&
    value.every((item) => typeof item === 'string' && (!pattern || pattern.test(item)))
  )
}

export function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

/** JSON.parse that returns undefined instead of throwing (also for no text). */
export function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text as string)
  } catch {
    return undefined
  }
}
