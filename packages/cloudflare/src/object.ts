/**
 * `SessionsObject`: the Durable Object that keeps sessions and refresh leases for
 * {@link DurableObjectSessionStore}, in its SQLite storage. Export it from the Worker that
 * defines the binding (`class_name = "SessionsObject"`, a `new_sqlite_classes` migration).
 */

import { DurableObject } from 'cloudflare:workers'
import type { SessionFilter } from '@oidc-hybrid/core'

/** A session as the object stores it: its JSON, its end, and the fields `deleteBy` filters on. */
export interface SessionRecord {
  /** The session as JSON. */
  json: string
  /** Seconds since the epoch after which the session is gone. */
  expiresAt: number
  /** The issuer (`session.issuer`). */
  iss: string
  /** The subject (`session.sub`). */
  sub: string
  /** The ID token's `sid` claim, when it is a string; otherwise `null`. */
  sid: string | null
}

/** What the object holds (expired rows included until the purge alarm removes them). */
export interface SessionsObjectCount {
  sessions: number
  leases: number
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  json TEXT NOT NULL,
  expires_at REAL NOT NULL,
  iss TEXT NOT NULL,
  sub TEXT NOT NULL,
  sid TEXT
);
CREATE INDEX IF NOT EXISTS sessions_by_sub ON sessions (iss, sub);
CREATE INDEX IF NOT EXISTS sessions_by_sid ON sessions (iss, sid);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS leases (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  until_ms REAL NOT NULL
);`

type Row = Record<string, string | number | null | ArrayBuffer>

/**
 * The Durable Object of {@link DurableObjectSessionStore}: sessions and refresh leases in SQLite
 * tables, one object per shard of session ids. Its RPC methods are the store's operations, each
 * one SQL statement run synchronously: a Durable Object delivers one event at a time and none
 * while a method runs without awaiting, so each of them is atomic (an update cannot race a
 * delete, two leases cannot both be taken). Time is workerd's clock (`Date.now()`).
 *
 * Expired sessions are never returned, and an alarm deletes them (with expired leases): it is set
 * for the earliest expiry written, and runs at most once a minute (`purgeIntervalMs`), so storage
 * stays bounded by the live sessions.
 */
export class SessionsObject extends DurableObject<unknown> {
  /**
   * Milliseconds from a write or a purge to the next purge at least (default 60 000): expired
   * rows wait for it (never read meanwhile), and the alarm runs at most this often.
   */
  protected purgeIntervalMs = 60_000
  #ready = false
  /** When the purge alarm is set (ms since the epoch), as far as this instance knows. */
  #alarm: number | null | undefined

  /** The SQL storage, with the tables created on first use. */
  get #sql() {
    const sql = this.ctx.storage.sql
    if (!this.#ready) {
      sql.exec(SCHEMA)
      this.#ready = true
    }
    return sql
  }

  #rows(query: string, ...bindings: unknown[]): Row[] {
    return this.#sql.exec<Row>(query, ...bindings).toArray()
  }

  /** The session stored under `id` as JSON, unless it is unknown or expired. */
  get(id: string): string | null {
    const [row] = this.#rows(
      'SELECT json FROM sessions WHERE id = ? AND expires_at > ?',
      id,
      Date.now() / 1000,
    )
    return row ? (row.json as string) : null
  }

  /** Stores `record` under `id` (a new session, or one replaced). */
  async set(id: string, record: SessionRecord): Promise<void> {
    this.#sql.exec(
      `INSERT INTO sessions (id, json, expires_at, iss, sub, sid) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET json = excluded.json, expires_at = excluded.expires_at,
         iss = excluded.iss, sub = excluded.sub, sid = excluded.sid`,
      id,
      record.json,
      record.expiresAt,
      record.iss,
      record.sub,
      record.sid,
    )
    await this.#purgeAt(record.expiresAt * 1000)
  }

  /**
   * Replaces the session under `id` only while it exists and has not expired, in one statement
   * (a session deleted meanwhile stays deleted); whether it did.
   */
  async update(id: string, record: SessionRecord): Promise<boolean> {
    const updated =
      this.#rows(
        `UPDATE sessions SET json = ?, expires_at = ?, iss = ?, sub = ?, sid = ?
         WHERE id = ? AND expires_at > ? RETURNING 1`,
        record.json,
        record.expiresAt,
        record.iss,
        record.sub,
        record.sid,
        id,
        Date.now() / 1000,
      ).length > 0
    if (updated) await this.#purgeAt(record.expiresAt * 1000)
    return updated
  }

  /** Deletes the session under `id` (an unknown id is fine). */
  delete(id: string): void {
    this.#sql.exec('DELETE FROM sessions WHERE id = ?', id)
  }

  /**
   * Deletes the sessions of issuer `iss` with the given `sub` and/or `sid`; with neither, none.
   * How many it deleted.
   */
  deleteBy({ iss, sub, sid }: SessionFilter): number {
    const where: string[] = []
    const bindings: unknown[] = [iss]
    if (typeof sub === 'string') {
      where.push('sub = ?')
      bindings.push(sub)
    }
    if (typeof sid === 'string') {
      where.push('sid = ?')
      bindings.push(sid)
    }
    // Never "every session of the issuer".
    if (where.length === 0 || typeof iss !== 'string') return 0
    return this.#rows(
      `DELETE FROM sessions WHERE iss = ? AND ${where.join(' AND ')} RETURNING 1`,
      ...bindings,
    ).length
  }

  /**
   * Takes the refresh lease of `id` for `owner` for `ttlMs` milliseconds when nobody holds it
   * (or its holder's time is up), in one statement; whether it did.
   */
  lease(id: string, owner: string, ttlMs: number): boolean {
    if (!(Number.isFinite(ttlMs) && ttlMs > 0)) throw new TypeError('lease: ttlMs must be > 0')
    const now = Date.now()
    return (
      this.#rows(
        `INSERT INTO leases (id, owner, until_ms) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms
         WHERE leases.until_ms <= ? RETURNING 1`,
        id,
        owner,
        now + ttlMs,
        now,
      ).length > 0
    )
  }

  /** Ends the lease of `id` if `owner` holds it (one that passed to another owner stays). */
  release(id: string, owner: string): void {
    this.#sql.exec('DELETE FROM leases WHERE id = ? AND owner = ?', id, owner)
  }

  /** How many sessions and leases are stored, expired ones included until purged. */
  count(): SessionsObjectCount {
    const [row] = this.#rows(
      'SELECT (SELECT COUNT(*) FROM sessions) AS sessions, (SELECT COUNT(*) FROM leases) AS leases',
    )
    return { sessions: Number(row?.sessions ?? 0), leases: Number(row?.leases ?? 0) }
  }

  /** The purge: deletes expired sessions and leases, and sets the next run if rows are left. */
  override async alarm(): Promise<void> {
    this.#alarm = null
    const now = Date.now()
    this.#sql.exec('DELETE FROM sessions WHERE expires_at <= ?', now / 1000)
    this.#sql.exec('DELETE FROM leases WHERE until_ms <= ?', now)
    const [row] = this.#rows(
      `SELECT MIN(at) AS next FROM (
         SELECT MIN(expires_at) * 1000 AS at FROM sessions UNION ALL SELECT MIN(until_ms) FROM leases
       )`,
    )
    if (typeof row?.next === 'number') await this.#purgeAt(row.next)
  }

  /** Makes the purge alarm run by `at` (ms since the epoch), or `purgeIntervalMs` from now. */
  async #purgeAt(expiry: number): Promise<void> {
    const at = Math.max(expiry, Date.now() + this.purgeIntervalMs)
    const storage = this.ctx.storage
    if (this.#alarm === undefined) this.#alarm = await storage.getAlarm()
    if (this.#alarm === null || at < this.#alarm) {
      this.#alarm = at
      await storage.setAlarm(at)
    }
  }
}
