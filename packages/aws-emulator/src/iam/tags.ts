import { AwsError } from '../errors.ts';
import type { EmTag } from '../state.ts';
import { getUser } from './account.ts';
import {
  type Actions,
  checkLength,
  constraint,
  LIMITS,
  members,
  type Params,
  page,
  userName,
} from './params.ts';

/** User tags: TagUser, UntagUser, ListUserTags, and the tag rules CreateUser applies too. */

const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export function tagsOf(p: Params, quota: string): EmTag[] {
  const tags: EmTag[] = [];
  for (const [i, m] of members(p, 'Tags')) {
    for (const field of ['Key', 'Value'] as const) {
      if (m[field] === undefined) {
        throw new AwsError(
          'MissingParameter',
          `The request must contain the parameter Tags.member.${i}.${field}.`,
        );
      }
    }
    const tag = { Key: m.Key ?? '', Value: m.Value ?? '' };
    checkLength(tag.Key, `tags.${i}.member.key`, 1, 128);
    if (!TAG_TEXT.test(tag.Key)) {
      throw constraint(
        `tags.${i}.member.key`,
        'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+',
      );
    }
    checkLength(tag.Value, `tags.${i}.member.value`, 0, 256);
    if (!TAG_TEXT.test(tag.Value)) {
      throw constraint(
        `tags.${i}.member.value`,
        'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*',
      );
    }
    tags.push(tag);
  }
  if (new Set(tags.map((t) => t.Key.toLowerCase())).size !== tags.length) {
    throw new AwsError(
      'InvalidInput',
      'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
    );
  }
  if (tags.length > LIMITS.tags)
    throw new AwsError('LimitExceeded', `Cannot exceed quota for ${quota}: ${LIMITS.tags}`);
  return tags;
}

/** Tag keys are case-insensitive: a new value for "Team" replaces the one of "team". */
function mergeTags(existing: EmTag[], added: EmTag[]): EmTag[] {
  const byKey = new Map(existing.map((t) => [t.Key.toLowerCase(), t]));
  for (const t of added) byKey.set(t.Key.toLowerCase(), t);
  return [...byKey.values()];
}

export const tagActions: Actions = {
  TagUser(p, s) {
    const user = getUser(s, userName(p));
    const tags = mergeTags(user.tags, tagsOf(p, 'TagsPerUser'));
    if (tags.length > LIMITS.tags) {
      throw new AwsError('LimitExceeded', `Cannot exceed quota for TagsPerUser: ${LIMITS.tags}`);
    }
    user.tags = tags;
    return undefined;
  },
  UntagUser(p, s) {
    const user = getUser(s, userName(p));
    const remove = new Set(members(p, 'TagKeys').map(([, m]) => (m[''] ?? '').toLowerCase()));
    user.tags = user.tags.filter((t) => !remove.has(t.Key.toLowerCase()));
    return undefined;
  },
  ListUserTags(p, s) {
    const user = getUser(s, userName(p));
    const { items, ...rest } = page(user.tags, p);
    return { Tags: items, ...rest };
  },
};
