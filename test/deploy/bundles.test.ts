import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { declaredCallsByFunction } from '../../src/declarations.ts';
import { PROJECT_ROOT } from '../../src/definition.ts';
import { SAGA_STEP_NAMES } from '../../src/steps/names.ts';

/**
 * What the packaged Lambda bundles are made of, read from each zip's source map (its `sources` list
 * every module esbuild put in the bundle). serverless.yml's custom.esbuild resolves the SDK's ESM
 * build first and aliases `@aws-sdk/credential-provider-node` (the SDK's default credential chain,
 * which every client's runtime configuration imports) to an environment-only stand-in. Both are
 * choices an SDK update could silently undo — a client importing the chain from another module, a
 * package whose "module" field goes away — and then the chain or the CommonJS build is back in the
 * bundle: these tests fail then, naming the function and the module.
 */

/** The default chain's providers and the clients behind them (STS, SSO, SSO OIDC). */
const DEFAULT_CHAIN =
  /node_modules\/@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity|http|login)|nested-clients|token-providers|client-sso|client-sso-oidc)\//;

/** The SDK client of each service a declared call names (`iam:CreateUser` -> client-iam). */
const CLIENT_OF: Record<string, string> = {
  iam: 'client-iam',
  secretsmanager: 'client-secrets-manager',
  states: 'client-sfn',
  dynamodb: 'client-dynamodb',
};

let sourcesByFunction: Record<string, string[]>;
let servicesByFunction: Record<string, string[]>;

beforeAll(async () => {
  const calls = await declaredCallsByFunction();
  const awsCalling = Object.keys(calls).filter((key) => (calls[key]?.length ?? 0) > 0);
  servicesByFunction = Object.fromEntries(
    awsCalling.map((key) => [key, [...new Set((calls[key] ?? []).map((c) => c.action.split(':')[0] ?? ''))]]),
  );
  sourcesByFunction = Object.fromEntries(
    awsCalling.map((key) => {
      const map = execFileSync(
        'unzip',
        ['-p', join(PROJECT_ROOT, '.serverless', `${key}.zip`), '*.mjs.map'],
        {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      return [key, (JSON.parse(map) as { sources: string[] }).sources];
    }),
  );
});

describe('the packaged Lambda bundles', () => {
  it('are read for every AWS-calling function', () => {
    expect(Object.keys(sourcesByFunction).length).toBeGreaterThanOrEqual(10);
    for (const sources of Object.values(sourcesByFunction)) expect(sources.length).toBeGreaterThan(0);
  });

  it("carry the environment-only stand-in for the SDK's default credential chain, and none of the chain", () => {
    for (const [key, sources] of Object.entries(sourcesByFunction)) {
      expect(
        sources.filter((s) => s.endsWith('src/aws/env-default-provider.ts')),
        `${key}: the alias of @aws-sdk/credential-provider-node no longer applies`,
      ).toHaveLength(1);
      expect(
        sources.filter((s) => s.includes('node_modules/@aws-sdk/credential-provider-env/')).length,
        key,
      ).toBeGreaterThan(0);
      expect(
        sources.filter((s) => DEFAULT_CHAIN.test(s)),
        `${key}: the SDK's default credential chain is bundled again`,
      ).toEqual([]);
    }
  });

  it("take the SDK's ESM build, not its CommonJS one", () => {
    for (const [key, sources] of Object.entries(sourcesByFunction)) {
      const sdk = sources.filter((s) => /node_modules\/@(aws-sdk|smithy)\//.test(s));
      expect(sdk.length, key).toBeGreaterThan(0);
      expect(
        sdk.filter((s) => s.includes('/dist-cjs/')),
        key,
      ).toEqual([]);
    }
  });

  it('carry the SDK clients of the services their function declares, and no other', () => {
    // A task's dependencies are built per function (src/lambda/*deps.ts): a client nobody calls is
    // bundled weight, and a declared service without its client would fail at its first call.
    for (const [key, sources] of Object.entries(sourcesByFunction)) {
      const clients = [
        ...new Set(
          sources.flatMap((s) => /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(s)?.[1] ?? []),
        ),
      ].sort();
      const expected = (servicesByFunction[key] ?? []).map((service) => {
        const client = CLIENT_OF[service];
        if (!client) throw new Error(`${key}: no client known for service ${service} (CLIENT_OF)`);
        return client;
      });
      expect(clients, key).toEqual(expected.sort());
    }
  });

  it('hold their own saga step only', () => {
    // Every task parses `$.created`, whose schemas live apart from the steps (src/steps/results.ts): a
    // step module imported for its schema would bring its step, and what that step imports, along.
    const kebab = (name: string) => name.replace(/[A-Z]/g, (c, i) => `${i ? '-' : ''}${c.toLowerCase()}`);
    const stepFiles = new Map(SAGA_STEP_NAMES.map((name) => [`src/steps/${kebab(name)}.ts`, name]));
    for (const [key, sources] of Object.entries(sourcesByFunction)) {
      const own = key.replace(/^undo/, '');
      const steps = sources.flatMap((s) => {
        const file = [...stepFiles.keys()].find((f) => s.endsWith(f));
        return file ? [stepFiles.get(file)] : [];
      });
      const expected = SAGA_STEP_NAMES.filter((name) => name === `${own[0]?.toUpperCase()}${own.slice(1)}`);
      expect(steps, key).toEqual(expected);
    }
  });

  it('alias a module the SDK still has, under the name it exports', async () => {
    // The alias is only a name: if the SDK renamed or dropped the package, the bundles would stop
    // importing it and the tests above would say so; here, the package the clients import is there.
    const chain = await import('@aws-sdk/credential-provider-node');
    expect(typeof chain.defaultProvider).toBe('function');
    const standIn = await import('../../src/aws/env-default-provider.ts');
    expect(Object.keys(standIn)).toEqual(['defaultProvider']);
  });
});
