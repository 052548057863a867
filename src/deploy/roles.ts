import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse, type YAMLSeq } from 'yaml';
import { CONTAIN_POLICY, type OnboardingConfig, SELF_SERVICE_POLICY } from '../config.ts';
import { PROJECT_ROOT, SERVERLESS_PATH } from '../definition.ts';
import { type Codec, cachedYamlParse } from '../disk-cache.ts';
import { InvalidConfigurationError } from '../errors.ts';

/**
 * The functions' roles as `serverless.yml` defines them, resolved for one account, region and stage
 * the way the deploy resolves them: `${file(./config/serverless-env.cjs):x}` from the configuration,
 * `!Ref` of the state machine, `!Ref`/`!GetAtt` of the ledger table, `!Sub` with the account's pseudo
 * parameters, YAML anchors. The local stack signs each function's calls with its own key and the emulator evaluates
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

interface ServerlessResource {
  Type?: string;
  Properties?: unknown;
}

interface ServerlessFile {
  service: string;
  functions: Record<string, { iamRoleStatements?: unknown[] }>;
  /** One block, or a list of blocks (some of them `${file(...)}` fragments the framework merges). */
  resources?:
    | { Resources?: Record<string, ServerlessResource> }
    | (string | { Resources?: Record<string, ServerlessResource> })[];
}

/** The resources serverless.yml writes out itself (a `${file(...)}` fragment is the configuration's). */
function inlineResources(doc: ServerlessFile): Record<string, ServerlessResource> {
  const blocks = Array.isArray(doc.resources) ? doc.resources : doc.resources ? [doc.resources] : [];
  return Object.assign(
    {},
    ...blocks.map((b) => (typeof b === 'object' && b !== null ? (b.Resources ?? {}) : {})),
  ) as Record<string, ServerlessResource>;
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
class GetAtt {
  constructor(readonly value: string) {}
}

/** The tags' values on disk (src/disk-cache.ts): `{ "\u0000tag": "Ref", "value": ... }`, read back as themselves. */
const TAG_KEY = '\u0000tag';
const TAG_CLASSES = { Ref, Sub, Join, GetAtt } as const;
const TAG_CODEC: Codec = {
  replacer(_key, value) {
    for (const [name, cls] of Object.entries(TAG_CLASSES))
      if (value instanceof cls)
        return { [TAG_KEY]: name, value: value instanceof Ref ? value.name : value.value };
    return value;
  },
  reviver(_key, value) {
    if (typeof value !== 'object' || value === null || !(TAG_KEY in value)) return value;
    const { [TAG_KEY]: name, value: inner } = value as { [TAG_KEY]: keyof typeof TAG_CLASSES; value: never };
    return new TAG_CLASSES[name](inner);
  },
};

const TAGS = [
  { tag: '!Ref', resolve: (v: string) => new Ref(v) },
  { tag: '!Sub', resolve: (v: string) => new Sub(v) },
  { tag: '!GetAtt', resolve: (v: string) => new GetAtt(v) },
  { tag: '!Join', collection: 'seq' as const, resolve: (v: YAMLSeq) => new Join(v.toJSON()) },
  // Conditions (the alarm mail's): kept as CloudFormation writes them, no role reads them.
  { tag: '!Not', collection: 'seq' as const, resolve: (v: YAMLSeq) => ({ 'Fn::Not': v.toJSON() }) },
  { tag: '!Equals', collection: 'seq' as const, resolve: (v: YAMLSeq) => ({ 'Fn::Equals': v.toJSON() }) },
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

let serverless: Promise<ServerlessFile> | undefined;

/** serverless.yml's text as the roles read it: its tags as values, the parse kept on disk by its text. */
export function parseServerless(text: string): ServerlessFile {
  return cachedYamlParse(
    'yaml-serverless',
    text,
    (t) => parse(t, { customTags: TAGS, maxAliasCount: -1 }) as ServerlessFile,
    TAG_CODEC,
  );
}

/** serverless.yml, parsed once per process (the roles and the ledger table both read it). */
function loadServerless(): Promise<ServerlessFile> {
  serverless ??= readFile(SERVERLESS_PATH, 'utf8').then(parseServerless);
  serverless.catch(() => {
    serverless = undefined;
  });
  return serverless;
}

/**
 * Resolves serverless.yml's values for one account, region and stage as the deploy would: the
 * configuration's `${file(...)}` exports, `!Ref` and `!GetAtt` of this stack's resources, `!Sub` of
 * pseudo parameters.
 */
function resolverOf(doc: ServerlessFile, ctx: RoleContext) {
  const env = loadEnvModule(ctx.config);
  const partition = ctx.partition ?? 'aws';
  const stage = ctx.stage;
  const stateMachineName = `${doc.service}-${stage}`;
  const resources = inlineResources(doc);
  const pseudo: Record<string, string> = {
    'AWS::Partition': partition,
    'AWS::Region': ctx.region,
    'AWS::AccountId': ctx.accountId,
    'self:service': doc.service,
    'sls:stage': stage,
  };
  const substitute = (text: string, where: string) =>
    text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      // `${Resource.Attribute}`, as Fn::Sub reads it: a GetAtt of this stack's resource.
      const [id = '', attribute = ''] = name.split('.');
      const value = pseudo[name] ?? (attribute ? getAttOf(id, attribute) : undefined);
      if (value === undefined) throw new UnresolvableRoleError(`${where}: cannot resolve \${${name}}`);
      return value;
    });
  // A DynamoDB table's Ref is its name, its Arn is built from it (as CloudFormation does).
  const tableName = (id: string) => {
    const resource = resources[id];
    const name = (resource?.Properties as { TableName?: unknown } | undefined)?.TableName;
    return resource?.Type === 'AWS::DynamoDB::Table' && typeof name === 'string'
      ? substitute(name, `resources.${id}.TableName`)
      : undefined;
  };
  const refOf = (name: string): string | undefined => {
    if (name === 'OnboardingStateMachine') {
      return `arn:${partition}:states:${ctx.region}:${ctx.accountId}:stateMachine:${stateMachineName}`;
    }
    if (name === 'OffboardingStateMachine') {
      return `arn:${partition}:states:${ctx.region}:${ctx.accountId}:stateMachine:${stateMachineName}-offboarding`;
    }
    return tableName(name);
  };
  const getAttOf = (id: string, attribute: string): string | undefined => {
    const name = attribute === 'Arn' ? tableName(id) : undefined;
    return name && `arn:${partition}:dynamodb:${ctx.region}:${ctx.accountId}:table/${name}`;
  };

  const resolve = (value: unknown, where: string): unknown => {
    if (value instanceof Ref) {
      const ref = refOf(value.name);
      if (!ref) throw new UnresolvableRoleError(`${where}: cannot resolve !Ref ${value.name}`);
      return ref;
    }
    if (value instanceof GetAtt) {
      const [id = '', attribute = ''] = value.value.split('.');
      const att = getAttOf(id, attribute);
      if (!att) throw new UnresolvableRoleError(`${where}: cannot resolve !GetAtt ${value.value}`);
      return att;
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
      if ('Fn::GetAtt' in o) {
        const att = o['Fn::GetAtt'];
        return resolve(new GetAtt(Array.isArray(att) ? att.join('.') : String(att)), where);
      }
      if ('Ref' in o) return resolve(new Ref(String(o.Ref)), where);
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v, `${where}.${k}`)]));
    }
    return value;
  };
  return resolve;
}

/** The roles of every function that has statements, by function key. */
export async function resolveRoles(ctx: RoleContext): Promise<Record<string, PolicyDocument>> {
  const doc = await loadServerless();
  const resolve = resolverOf(doc, ctx);
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

/** One resource that serverless.yml itself defines, its properties resolved for this stack. */
export async function resolveResource(
  ctx: RoleContext,
  logicalId: string,
): Promise<{ Type: string; Properties: Record<string, unknown> }> {
  const doc = await loadServerless();
  const resource = inlineResources(doc)[logicalId];
  if (!resource?.Type) {
    throw new UnresolvableRoleError(`serverless.yml defines no resource ${logicalId}`);
  }
  const properties = resolverOf(doc, ctx)(resource.Properties ?? {}, `resources.${logicalId}`);
  return { Type: resource.Type, Properties: properties as Record<string, unknown> };
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

/**
 * The self-service policy every onboarded user gets, as the deploy creates it for the same configuration
 * (config/policies/self-service.json with its user path and secret prefix).
 */
export function resolveSelfService(config: OnboardingConfig): PolicyDocument {
  try {
    return loadEnvModule(config).selfServiceDocument?.() as PolicyDocument;
  } catch (error) {
    throw new InvalidConfigurationError((error as Error).message);
  }
}

/**
 * Every customer-managed policy the stack needs in the account, by name under the boundaries' path:
 * the boundaries, the self-service policy and the offboarding's deny-all (what `onboard bootstrap` and
 * the local stack create).
 */
export function resolveManagedPolicies(config: OnboardingConfig): Record<string, PolicyDocument> {
  return {
    ...resolveBoundaries(config),
    [SELF_SERVICE_POLICY]: resolveSelfService(config),
    [CONTAIN_POLICY]: resolveContain(config),
  };
}

/** The offboarding's deny-all (config/policies/offboarding-contain.json), as the deploy creates it. */
export function resolveContain(config: OnboardingConfig): PolicyDocument {
  try {
    return loadEnvModule(config).containDocument?.() as PolicyDocument;
  } catch (error) {
    throw new InvalidConfigurationError((error as Error).message);
  }
}
