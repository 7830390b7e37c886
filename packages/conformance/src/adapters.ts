/**
 * Every adapter the end-to-end specs run against, each as a small app with the same routes (see
 * apps.ts): Koa, fetch on node:http, Express, Hono on node:http, and NestJS on Express and on
 * Fastify.
 */
import { APPS, type AppUnderTest } from './apps.js'
import { express } from './express.js'
import { hono } from './hono.js'
import { nestExpress, nestFastify } from './nest.js'

export const ADAPTERS: readonly AppUnderTest[] = [...APPS, express, hono, nestExpress, nestFastify]
