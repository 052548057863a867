import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError, secretsManagerError } from './errors.ts';
import type { CallContext, JsonService } from './router.ts';
import { type EmSecret, type EmTag, type EmulatorState, pageOffset, pageToken } from './state.ts';

/** Secrets Manager (awsJson1.1): JSON in, JSON out, dates as epoch seconds, every client error a 400. */

type Body = Record<string, unknown>;
type Action = (body: Body, s: EmulatorState, ctx: CallContext) => unknown;

const DAY_MS = 86_400_000;
const NAME = /^[\w/+=.@-]{1,512}$/;
const SUFFIXED_ARN = /-[A-Za-z0-9]{6}$/;
const MARKED_FOR_DELETION =
  "You can't perform this operation on the secret because it was marked for deletion.";

const epoch = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);
const str = (body: Body, name: string): string | undefined =>
  typeof body[name] === 'string' ? (body[name] as string) : undefined;

function need(body: Body, name: string): string {
  const value = str(body, name);
  if (!value)
    throw new AwsError('InvalidParameterException', `You must provide a value for the ${name} parameter.`);
  return value;
}

const validation = (field: string, rule: string) =>
  new AwsError(
    'ValidationException',
    `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${rule}`,
  );

/** A SecretId is a name, a full ARN, or an ARN without the six random characters Secrets Manager adds. */
function find(s: EmulatorState, id: string): EmSecret {
  const secret =
    s.secrets[id] ??
    Object.values(s.secrets).find(
      (x) => x.arn === id || (id.startsWith('arn:') && x.arn.replace(SUFFIXED_ARN, '') === id),
    );
  if (!secret)
    throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  return secret;
}

function live(secret: EmSecret): EmSecret {
  if (secret.deletedDate) throw new AwsError('InvalidRequestException', MARKED_FOR_DELETION);
  return secret;
}

function tagsOf(body: Body, field = 'Tags'): EmTag[] {
  const raw = body[field];
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    throw new AwsError('InvalidParameterException', `${field} must be a list of tags.`);
  return raw.map((t: { Key?: unknown; Value?: unknown }) => {
    if (typeof t?.Key !== 'string' || t.Key.length < 1 || t.Key.length > 128) {
      throw new AwsError('InvalidParameterException', 'A tag key must be 1 to 128 characters long.');
    }
    if (t.Value !== undefined && (typeof t.Value !== 'string' || t.Value.length > 256)) {
      throw new AwsError('InvalidParameterException', 'A tag value must be at most 256 characters long.');
    }
    return { Key: t.Key, Value: typeof t.Value === 'string' ? t.Value : '' };
  });
}

/** Secrets Manager's tag keys are case-sensitive: "Team" and "team" are two tags. */
function mergeTags(existing: EmTag[], added: EmTag[]): EmTag[] {
  const byKey = new Map(existing.map((t) => [t.Key, t]));
  for (const t of added) byKey.set(t.Key, t);
  return [...byKey.values()];
}

const describe = (x: EmSecret, versionsField: 'VersionIdsToStages' | 'SecretVersionsToStages') => ({
  ARN: x.arn,
  Name: x.name,
  ...(x.description ? { Description: x.description } : {}),
  CreatedDate: epoch(x.created),
  LastChangedDate: epoch(x.created),
  ...(x.deletedDate ? { DeletedDate: epoch(x.deletedDate) } : {}),
  ...(x.tags.length ? { Tags: x.tags } : {}),
  [versionsField]: { [x.versionId]: ['AWSCURRENT'] },
});

type Filter = { Key?: unknown; Values?: unknown };

/** ListSecrets' filters: prefix matches ("!" negates), any value of a filter, every filter. */
function matcher(filters: Filter[]): (x: EmSecret) => boolean {
  const tests = filters.map((f) => {
    if (!Array.isArray(f.Values) || f.Values.some((v) => typeof v !== 'string')) {
      throw new AwsError('InvalidParameterException', 'A filter needs a list of Values.');
    }
    const values = f.Values as string[];
    const fields = (x: EmSecret): { texts: string[]; caseless: boolean } => {
      switch (f.Key) {
        case 'name':
          return { texts: [x.name], caseless: false };
        case 'description':
          return { texts: [x.description], caseless: true };
        case 'tag-key':
          return { texts: x.tags.map((t) => t.Key), caseless: false };
        case 'tag-value':
          return { texts: x.tags.map((t) => t.Value), caseless: false };
        case 'all':
          return {
            texts: [x.name, x.description, ...x.tags.flatMap((t) => [t.Key, t.Value])].flatMap((t) =>
              t.split(/\s+/),
            ),
            caseless: true,
          };
        default:
          throw new AwsError('InvalidParameterException', `Invalid filter key: ${String(f.Key)}.`);
      }
    };
    return (x: EmSecret) => {
      const { texts, caseless } = fields(x);
      const norm = (t: string) => (caseless ? t.toLowerCase() : t);
      return values.some((value) => {
        const negated = value.startsWith('!');
        const prefix = norm(negated ? value.slice(1) : value);
        const hit = texts.some((t) => norm(t).startsWith(prefix));
        return negated ? !hit : hit;
      });
    };
  });
  return (x) => tests.every((t) => t(x));
}

const ACTIONS: Record<string, Action> = {
  CreateSecret(body, s, ctx) {
    const name = need(body, 'Name');
    if (!NAME.test(name)) {
      throw new AwsError(
        'InvalidParameterException',
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      );
    }
    const value = str(body, 'SecretString') ?? '';
    const token = str(body, 'ClientRequestToken');
    if (token !== undefined && (token.length < 32 || token.length > 64)) {
      throw validation('clientRequestToken', 'Member must have length between 32 and 64');
    }
    const existing = s.secrets[name];
    if (existing) {
      // A retried create (the SDK sends a ClientRequestToken) answers the version it already made.
      if (
        token &&
        existing.clientTokens.includes(token) &&
        existing.value === value &&
        !existing.deletedDate
      ) {
        return { ARN: existing.arn, Name: existing.name, VersionId: existing.versionId };
      }
      if (existing.deletedDate) {
        throw new AwsError(
          'InvalidRequestException',
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      }
      throw new AwsError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
    const secret: EmSecret = {
      name,
      arn: `arn:aws:secretsmanager:${ctx.region}:${s.accountId}:secret:${name}-${suffix}`,
      value,
      versionId: token ?? randomUUID(),
      description: str(body, 'Description') ?? '',
      tags: tagsOf(body),
      created: new Date().toISOString(),
      clientTokens: token ? [token] : [],
    };
    s.secrets[name] = secret;
    return { ARN: secret.arn, Name: name, VersionId: secret.versionId };
  },
  DescribeSecret(body, s) {
    return describe(find(s, need(body, 'SecretId')), 'VersionIdsToStages');
  },
  /** A new current version (the previous one is not kept: the emulator holds one version). */
  PutSecretValue(body, s) {
    const secret = live(find(s, need(body, 'SecretId')));
    const value = str(body, 'SecretString');
    if (value === undefined) throw validation('secretString', 'Member must not be null');
    const token = str(body, 'ClientRequestToken');
    if (token !== undefined && (token.length < 32 || token.length > 64)) {
      throw validation('clientRequestToken', 'Member must have length between 32 and 64');
    }
    // A retried put (same token, same value) answers the version it already made.
    if (!(token && secret.clientTokens.includes(token) && secret.value === value)) {
      secret.value = value;
      secret.versionId = token ?? randomUUID();
      if (token) secret.clientTokens.push(token);
    }
    return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId, VersionStages: ['AWSCURRENT'] };
  },
  GetSecretValue(body, s) {
    const secret = live(find(s, need(body, 'SecretId')));
    const versionId = str(body, 'VersionId');
    const stage = str(body, 'VersionStage');
    if (versionId && versionId !== secret.versionId) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
      );
    }
    if (stage && stage !== 'AWSCURRENT') {
      throw new AwsError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: secret.versionId,
      SecretString: secret.value,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: epoch(secret.created),
    };
  },
  DeleteSecret(body, s) {
    const secret = find(s, need(body, 'SecretId'));
    const force = body.ForceDeleteWithoutRecovery === true;
    const window = body.RecoveryWindowInDays;
    if (
      window !== undefined &&
      (typeof window !== 'number' || !Number.isInteger(window) || window < 7 || window > 30)
    ) {
      throw new AwsError(
        'InvalidParameterException',
        'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).',
      );
    }
    if (force && window !== undefined) {
      throw new AwsError(
        'InvalidParameterException',
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    const result = (deletion: number) => ({
      ARN: secret.arn,
      Name: secret.name,
      DeletionDate: Math.floor(deletion / 1000),
    });
    if (force) {
      delete s.secrets[secret.name];
      return result(Date.now());
    }
    live(secret);
    const deletion = Date.now() + ((window as number | undefined) ?? 30) * DAY_MS;
    secret.deletedDate = new Date(deletion).toISOString();
    return result(deletion);
  },
  RestoreSecret(body, s) {
    const secret = find(s, need(body, 'SecretId'));
    delete secret.deletedDate;
    return { ARN: secret.arn, Name: secret.name };
  },
  PutResourcePolicy(body, s) {
    const secret = live(find(s, need(body, 'SecretId')));
    const policy = need(body, 'ResourcePolicy');
    let parsed: unknown;
    try {
      parsed = JSON.parse(policy);
    } catch {
      parsed = undefined;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new AwsError(
        'MalformedPolicyDocumentException',
        'This resource policy contains an unsupported or malformed policy document.',
      );
    }
    secret.resourcePolicy = policy;
    return { ARN: secret.arn, Name: secret.name };
  },
  GetResourcePolicy(body, s) {
    const secret = find(s, need(body, 'SecretId'));
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.resourcePolicy ? { ResourcePolicy: secret.resourcePolicy } : {}),
    };
  },
  DeleteResourcePolicy(body, s) {
    const secret = find(s, need(body, 'SecretId'));
    delete secret.resourcePolicy;
    return { ARN: secret.arn, Name: secret.name };
  },
  TagResource(body, s) {
    const secret = find(s, need(body, 'SecretId'));
    secret.tags = mergeTags(secret.tags, tagsOf(body));
    return {};
  },
  UntagResource(body, s) {
    const secret = find(s, need(body, 'SecretId'));
    const keys = Array.isArray(body.TagKeys) ? new Set(body.TagKeys) : new Set();
    secret.tags = secret.tags.filter((t) => !keys.has(t.Key));
    return {};
  },
  ListSecrets(body, s) {
    const max = body.MaxResults ?? 100;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 100) {
      throw validation('maxResults', 'Member must have value between 1 and 100');
    }
    const token = str(body, 'NextToken');
    const start = token === undefined ? 0 : pageOffset(token);
    if (start === undefined)
      throw new AwsError('InvalidNextTokenException', 'The NextToken value is invalid.');
    const filters = Array.isArray(body.Filters) ? (body.Filters as Filter[]) : [];
    const all = Object.values(s.secrets)
      .filter((x) => !x.deletedDate || body.IncludePlannedDeletion === true)
      .filter(matcher(filters))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const truncated = start + max < all.length;
    return {
      SecretList: all.slice(start, start + max).map((x) => describe(x, 'SecretVersionsToStages')),
      ...(truncated ? { NextToken: pageToken(start + max) } : {}),
    };
  },
};

/** Secrets Manager as a JSON service over the account that `state()` returns at each call. */
export function secretsManagerService(state: () => EmulatorState): JsonService {
  return {
    targetPrefix: 'secretsmanager',
    contentType: 'application/x-amz-json-1.1',
    errorFor: secretsManagerError,
    actions: Object.fromEntries(
      Object.entries(ACTIONS).map(([name, action]) => [
        name,
        (body: Body, ctx: CallContext) => action(body, state(), ctx),
      ]),
    ),
  };
}

export const SECRETS_MANAGER_READ_ONLY = new Set([
  'DescribeSecret',
  'GetSecretValue',
  'GetResourcePolicy',
  'ListSecrets',
]);
