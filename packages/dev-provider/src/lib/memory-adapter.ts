/**
 * A process-local storage adapter for oidc-provider. The package's default one prints a warning
 * on every start; this one is just as volatile, and each provider gets its own store, so two
 * providers in one test process never see each other's artifacts.
 *
 * @see https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#adapter
 */

type Payload = Record<string, unknown>

interface Entry {
  payload: Payload
  /** Milliseconds since epoch, or Infinity. */
  expiresAt: number
}

/** One store per provider, shared by its models (one adapter instance per model name). */
export class MemoryStore {
  readonly entries = new Map<string, Entry>()
  readonly byUid = new Map<string, string>()
  readonly byUserCode = new Map<string, string>()
  readonly byGrant = new Map<string, Set<string>>()

  clear(): void {
    this.entries.clear()
    this.byUid.clear()
    this.byUserCode.clear()
    this.byGrant.clear()
  }
}

/** Builds the adapter constructor oidc-provider's `adapter` option expects. */
export function memoryAdapter(store: MemoryStore) {
  return class MemoryAdapter {
    readonly #model: string

    constructor(model: string) {
      this.#model = model
    }

    #key(id: string): string {
      return `${this.#model}:${id}`
    }

    #read(key: string | undefined): Payload | undefined {
      if (key === undefined) return undefined
      const entry = store.entries.get(key)
      if (!entry) return undefined
      if (entry.expiresAt <= Date.now()) {
        store.entries.delete(key)
        return undefined
      }
      return structuredClone(entry.payload)
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const key = this.#key(id)
      const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY
      store.entries.set(key, { payload: structuredClone(payload), expiresAt })
      if (typeof payload.uid === 'string') store.byUid.set(payload.uid, key)
      if (typeof payload.userCode === 'string') store.byUserCode.set(payload.userCode, key)
      if (typeof payload.grantId === 'string') {
        const members = store.byGrant.get(payload.grantId) ?? new Set<string>()
        members.add(key)
        store.byGrant.set(payload.grantId, members)
      }
    }

    async find(id: string): Promise<Payload | undefined> {
      return this.#read(this.#key(id))
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      return this.#read(store.byUid.get(uid))
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      return this.#read(store.byUserCode.get(userCode))
    }

    async consume(id: string): Promise<void> {
      const entry = store.entries.get(this.#key(id))
      if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000)
    }

    async destroy(id: string): Promise<void> {
      store.entries.delete(this.#key(id))
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const key of store.byGrant.get(grantId) ?? []) store.entries.delete(key)
      store.byGrant.delete(grantId)
    }
  }
}
