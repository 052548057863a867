import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { OnboardingConfig } from '../config.ts';
import { PROJECT_ROOT, SERVERLESS_PATH } from '../definition.ts';
import { InvalidConfigurationError } from '../errors.ts';

/**
 * The functions' roles as `serverless.yml` defines them, resolved for one account, region and stage
 * the way the deploy resolves them: `${file(./config/serverless-env.cjs):x}` from the configuration,
 * `!Ref` of the state machine, `!Sub` with the account's pseudo parameters, YAML
 * anchors. The local stack signs each function's calls with its own key and the emulator evaluates
 * them against these documents, so a missing or too-wide grant shows up locally, not in production.
 */

export interface PolicyDocument {
  Version: string;
  Statement: Record<string, unknown>[];
}

export interface RoleContext {
  config: OnboardingConfig;
  accountId: string;
  region: string;
  /** The stage: `local` for the local stack, whose state machine is `<service>-local`. */
  stage: string;
  partition?: string;
}

interface ServerlessFile {
  service: string;
  functions: Record<string, { iamRoleStatements?: unknown[] }>;
}

class Ref {
  constructor(readonly name: string) {}
}
class Sub {
  constructor(readonly value: unknown) {}
}
class Join {
  constructor(readonly value: unknown) {}
}

const TAGS = [
  { tag: '!Ref', resolve: (v: string) => new Ref(v) },
  { tag: '!Sub', resolve: (v: string) => new Sub(v) },
  { tag: '!Join', collection: 'seq' as const, resolve: (v: unknown) => new Join(v) },
];

export class UnresolvableRoleError extends Error {
  override readonly name = 'UnresolvableRole' as const;
}

type EnvModule = Record<string, () => unknown>;

function loadEnvModule(config: OnboardingConfig): EnvModule {
  const require = createRequire(import.meta.url);
  const mod = require(join(PROJECT_ROOT, 'config', 'serverless-env.cjs')) as {
    forConfig: (config: OnboardingConfig) => EnvModule;
  };
  return mod.forConfig(config);
}

/** The roles of every function that has statements, by function key. */
export async function resolveRoles(ctx: RoleContext): Promise<Record<string, PolicyDocument>> {
  const doc = parse(await readFile(SERVERLESS_PATH, 'utf8'), {
    customTags: TAGS,
    maxAliasCount: -1,
  }) as ServerlessFile;
  const env = loadEnvModule(ctx.config);
  const partition = ctx.partition ?? 'aws';
  const stage = ctx.stage;
  const stateMachineName = `${doc.service}-${stage}`;
  const refs: Record<string, string> = {
    OnboardingStateMachine: `arn:${partition}:states:${ctx.region}:${ctx.accountId}:stateMachine:${stateMachineName}`,
  };
  const pseudo: Record<string, string> = {
    'AWS::Partition': partition,
    'AWS::Region': ctx.region,
    'AWS::AccountId': ctx.accountId,
    'self:service': doc.service,
    'sls:stage': stage,
  };
  const substitute = (text: string, where: string) =>
    text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      const value = pseudo[name];
      if (value === undefined) throw new UnresolvableRoleError(`${where}: cannot resolve \${${name}}`);
      return value;
    });

  const resolve = (value: unknown, where: string): unknown => {
    if (value instanceof Ref) {
      const ref = refs[value.name];
      if (!ref) throw new UnresolvableRoleError(`${where}: cannot resolve !Ref ${value.name}`);
      return ref;
    }
    if (value instanceof Sub) return substitute(String(value.value), where);
    if (value instanceof Join) {
      const [separator, parts] = value.value as [string, unknown[]];
      return parts.map((p) => resolve(p, where)).join(separator);
    }
    if (typeof value === 'string') {
      const file = /^\$\{file\(\.\/config\/serverless-env\.cjs\):(\w+)\}$/.exec(value);
      if (file?.[1]) {
        const fn = env[file[1]];
        if (typeof fn !== 'function')
          throw new UnresolvableRoleError(`${where}: no ${file[1]} in serverless-env.cjs`);
        return resolve(fn(), where);
      }
      if (value.includes('${')) return substitute(value, where);
      return value;
    }
    if (Array.isArray(value)) return value.map((v) => resolve(v, where));
    if (value && typeof value === 'object') {
      const o = value as Record<string, unknown>;
      if ('Fn::Sub' in o) return substitute(String(o['Fn::Sub']), where);
      if ('Fn::Join' in o) return resolve(new Join(o['Fn::Join']), where);
      if ('Ref' in o) return resolve(new Ref(String(o.Ref)), where);
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v, `${where}.${k}`)]));
    }
    return value;
  };

  const roles: Record<string, PolicyDocument> = {};
  for (const [key, fn] of Object.entries(doc.functions ?? {})) {
    const statements = (fn.iamRoleStatements ?? []).map((s, i) =>
      resolve(s, `functions.${key}.iamRoleStatements[${i}]`),
    ) as Record<string, unknown>[];
    // A Resource list may hold a nested list (a serverless-env export that returns several ARNs).
    for (const s of statements) if (Array.isArray(s.Resource)) s.Resource = s.Resource.flat();
    roles[key] = { Version: '2012-10-17', Statement: statements };
  }
  return roles;
}

/**
 * The boundaries' documents by name, as the deploy creates them for the same configuration. Throws,
 * naming the profile's key, when a profile names a boundary file that does not exist or is no policy.
 */
export function resolveBoundaries(config: OnboardingConfig): Record<string, PolicyDocument> {
  try {
    return loadEnvModule(config).boundaryDocuments?.() as Record<string, PolicyDocument>;
  } catch (error) {
    throw new InvalidConfigurationError((error as Error).message);
  }
}
