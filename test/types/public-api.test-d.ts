/**
 * Type tests of the public API, against the built declarations (the packages' own names, as an
 * application imports them). `vitest run` type-checks this file (vitest.config.ts `typecheck`):
 * a wrong `expectTypeOf` or an `@ts-expect-error` that no longer errors fails the run. Nothing
 * here executes.
 */
import {
  ANONYMOUS_PRINCIPAL,
  ConfigError,
  OverloadedError,
  RateLimitError,
  createGatehouse,
  isGatehouseError,
  parseAuthEnv,
  type AnonymousPrincipal,
  type AuthenticationError,
  type AuthConfig,
  type AuthStore,
  type AuthenticatedPrincipal,
  type ConfigIssue,
  type ErrorCode,
  type Gatehouse,
  type GatehouseError,
  type GatehouseOptions,
  type GuardResult,
  type GuardedPrincipal,
  type Principal,
  type PrincipalKind,
  type Role,
} from '@gatehouse-auth/core';
import { createPostgresStore, createSqliteStore } from '@gatehouse-auth/db';
import * as express from '@gatehouse-auth/express';
import * as fastify from '@gatehouse-auth/fastify';
import * as hono from '@gatehouse-auth/hono';
import type { Response as ExpressResponse } from 'express';
import type { FastifyRequest } from 'fastify';
import type { Context } from 'hono';
import { describe, expectTypeOf, test } from 'vitest';

declare const gh: Gatehouse;
declare const store: AuthStore;
declare const config: AuthConfig;

describe('principals', () => {
  test('the gate lets through an authenticated or the anonymous principal, told apart by kind', () => {
    expectTypeOf<GuardedPrincipal>().toEqualTypeOf<AuthenticatedPrincipal | AnonymousPrincipal>();
    expectTypeOf<Extract<GuardResult, { ok: true }>['principal']>().toEqualTypeOf<GuardedPrincipal>();
    expectTypeOf(ANONYMOUS_PRINCIPAL).toEqualTypeOf<AnonymousPrincipal>();
    expectTypeOf<AuthenticatedPrincipal>().toExtend<Principal>();

    const principal = {} as GuardedPrincipal;
    if (principal.kind === 'anonymous') {
      expectTypeOf(principal.userId).toEqualTypeOf<null>();
      expectTypeOf(principal.username).toEqualTypeOf<null>();
    } else {
      expectTypeOf(principal.kind).toEqualTypeOf<Exclude<PrincipalKind, 'anonymous'>>();
      expectTypeOf(principal.userId).toEqualTypeOf<number>();
      expectTypeOf(principal.username).toEqualTypeOf<string>();
      expectTypeOf(principal.email).toEqualTypeOf<string>();
      expectTypeOf(principal.sessionId).toEqualTypeOf<number | null>();
    }
    expectTypeOf(principal.role).toEqualTypeOf<Role>();
    // Read-only: host code cannot change who the caller is.
    // @ts-expect-error userId is readonly
    principal.userId = 1;
  });

  test('the kinds and roles are closed literal unions', () => {
    expectTypeOf<Role>().toEqualTypeOf<'SYSTEM' | 'ADMIN' | 'MEMBER' | 'VIEWER'>();
    expectTypeOf<PrincipalKind>().toEqualTypeOf<
      'session' | 'user_api_key' | 'system_api_key' | 'admin_secret' | 'anonymous'
    >();
  });

  test('every adapter reads the same principal type back', () => {
    expectTypeOf<express.GuardedPrincipal>().toEqualTypeOf<GuardedPrincipal>();
    expectTypeOf<fastify.GuardedPrincipal>().toEqualTypeOf<GuardedPrincipal>();
    expectTypeOf<hono.GuardedPrincipal>().toEqualTypeOf<GuardedPrincipal>();
    expectTypeOf(express.principalOf).parameters.toEqualTypeOf<[ExpressResponse]>();
    expectTypeOf(express.principalOf).returns.toEqualTypeOf<GuardedPrincipal>();
    expectTypeOf(fastify.principalOf).parameters.toEqualTypeOf<[FastifyRequest]>();
    expectTypeOf(fastify.principalOf).returns.toEqualTypeOf<GuardedPrincipal>();
    expectTypeOf(hono.principalOf).parameters.toEqualTypeOf<[Context<hono.GatehouseEnv>]>();
    expectTypeOf(hono.principalOf).returns.toEqualTypeOf<GuardedPrincipal>();
    expectTypeOf<hono.GatehouseVariables['principal']>().toEqualTypeOf<GuardedPrincipal>();
    expectTypeOf<express.GatehouseLocals['principal']>().toEqualTypeOf<GuardedPrincipal>();
  });
});

describe('requireRole', () => {
  test('takes role literals only, the same way on every adapter', () => {
    expectTypeOf(express.requireRole).parameters.toEqualTypeOf<[readonly Role[]]>();
    expectTypeOf(fastify.requireRole).parameters.toEqualTypeOf<[readonly Role[]]>();
    expectTypeOf(hono.requireRole).parameters.toEqualTypeOf<[readonly Role[]]>();
    express.requireRole(['ADMIN', 'MEMBER']);
    fastify.requireRole(['VIEWER'] as const);
    hono.requireRole(['SYSTEM']);
    // @ts-expect-error role names are upper case
    express.requireRole(['admin']);
    // @ts-expect-error no such role
    fastify.requireRole(['OWNER']);
    // @ts-expect-error a list, not one role
    hono.requireRole('ADMIN');
    // @ts-expect-error the Gatehouse is not an argument: requireRole uses no state
    express.requireRole(gh, ['ADMIN']);
  });

  test('core requireRole checks a principal against the same literals', () => {
    expectTypeOf<Parameters<Gatehouse['requireRole']>>().toEqualTypeOf<[Principal, readonly Role[]]>();
    expectTypeOf<ReturnType<Gatehouse['requireRole']>>().toEqualTypeOf<GuardResult>();
    // @ts-expect-error no such role
    gh.requireRole(ANONYMOUS_PRINCIPAL, ['ROOT']);
  });
});

describe('createGatehouse', () => {
  test('needs a config and a store, and resolves to a Gatehouse', () => {
    expectTypeOf(createGatehouse).parameters.toEqualTypeOf<[GatehouseOptions]>();
    expectTypeOf(createGatehouse).returns.toEqualTypeOf<Promise<Gatehouse>>();
    expectTypeOf(parseAuthEnv).returns.toEqualTypeOf<AuthConfig>();
    void createGatehouse({ config, store });
    void createGatehouse({ config, store, restPolicy: { preset: 'none', adminRoutes: ['PUT /v1/things/{id}'] } });
    void createGatehouse({ config, store, mailer: null, sweepIntervalMs: 0, trustedProxies: ['10.0.0.1'] });
    // @ts-expect-error the store is required
    void createGatehouse({ config });
    // @ts-expect-error the config is the parsed AuthConfig, not the environment
    void createGatehouse({ config: process.env, store });
    // @ts-expect-error presets are 'phoenix', 'none' or a RoutePreset object
    void createGatehouse({ config, store, restPolicy: { preset: 'strict' } });
    // @ts-expect-error route lists are strings
    void createGatehouse({ config, store, restPolicy: { adminRoutes: [/^\/v1/] } });
    // @ts-expect-error unknown options are refused
    void createGatehouse({ config, store, secret: 'x' });
  });

  test('the stores are AuthStores, PostgreSQL from a URL or a pool but not both', () => {
    expectTypeOf(createSqliteStore).returns.toEqualTypeOf<Promise<AuthStore>>();
    expectTypeOf(createPostgresStore).returns.toEqualTypeOf<Promise<AuthStore>>();
    void createSqliteStore({ filename: '.data/phoenix.db' });
    void createPostgresStore({ connectionString: 'postgres://localhost/gatehouse' });
    // @ts-expect-error a file name is required
    void createSqliteStore({});
    // @ts-expect-error a connection string or a pool
    void createPostgresStore({ schema: 'auth' });
  });
});

describe('errors', () => {
  test('isGatehouseError narrows unknown to the tree, whose code is the closed ErrorCode union', () => {
    const caught: unknown = null;
    if (isGatehouseError(caught)) {
      expectTypeOf(caught).toEqualTypeOf<GatehouseError>();
      expectTypeOf(caught.code).toEqualTypeOf<ErrorCode>();
      expectTypeOf(caught.status).toEqualTypeOf<number>();
      expectTypeOf(caught.toJSON()).toEqualTypeOf<{ error: { code: ErrorCode; message: string } }>();
      if (caught.code === 'rate_limited') expectTypeOf(caught.code).toEqualTypeOf<'rate_limited'>();
      // @ts-expect-error not a code: a typo in a comparison is a compile error
      if (caught.code === 'rate-limited') return;
    }
    expectTypeOf<'unauthenticated' | 'forbidden' | 'config_invalid' | 'overloaded'>().toExtend<ErrorCode>();
    expectTypeOf<'teapot'>().not.toExtend<ErrorCode>();
  });

  test('instanceof narrows to the class and its extra fields', () => {
    const error = {} as Error;
    if (error instanceof RateLimitError) expectTypeOf(error.retryAfterSeconds).toEqualTypeOf<number>();
    if (error instanceof OverloadedError) expectTypeOf(error.retryAfterSeconds).toEqualTypeOf<number>();
    if (error instanceof ConfigError) expectTypeOf(error.issues).toEqualTypeOf<readonly ConfigIssue[]>();
    expectTypeOf<AuthenticationError>().toExtend<GatehouseError>();
    expectTypeOf<ConfigError>().toExtend<Error>();
    // @ts-expect-error retryAfterSeconds is not on every error
    void (error as GatehouseError).retryAfterSeconds;
  });
});
