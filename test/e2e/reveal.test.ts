import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageKeyPair, sshKeyPair } from '../helpers/hire-keys.ts';
import { onboard } from './cli-helpers.ts';

/** `onboard reveal`, as the new member runs it on what `onboard run --json` (or status, or the ticket) delivered. */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reveal-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('onboard reveal', () => {
  it('prints the console sign-in and the access key for the hire, and fails clearly with another key', async () => {
    const ssh = sshKeyPair();
    const other = await ageKeyPair();
    await writeFile(join(dir, 'id_ed25519'), ssh.privateKey, { mode: 0o600 });
    await writeFile(join(dir, 'other.agekey'), other.identity, { mode: 0o600 });
    await writeFile(
      join(dir, 'request.json'),
      JSON.stringify({
        requestId: 'HR-1300',
        userName: 'radia',
        profile: 'elasticache-developer',
        contact: { recipient: ssh.publicKey },
      }),
    );
    const run = await onboard(['run', join(dir, 'request.json'), '--json']);
    expect(run.code, run.stderr).toBe(0);
    await writeFile(join(dir, 'outcome.json'), run.stdout);

    const revealed = await onboard([
      'reveal',
      join(dir, 'outcome.json'),
      '--identity',
      join(dir, 'id_ed25519'),
    ]);
    const wrong = await onboard([
      'reveal',
      join(dir, 'outcome.json'),
      '--identity',
      join(dir, 'other.agekey'),
    ]);

    expect(revealed.code, revealed.stderr).toBe(0);
    expect(revealed.stdout).toMatch(/sign-in URL +https:\/\/\d{12}\.signin\.aws\.amazon\.com\/console/);
    expect(revealed.stdout).toMatch(/user name +radia/);
    expect(revealed.stdout).toMatch(/one-time password +\S{24,}/);
    expect(revealed.stdout).toMatch(/secret access key +\S{40}/);
    expect(run.stdout).not.toContain(/secret access key +(\S{40})/.exec(revealed.stdout)?.[1] ?? 'unset');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/cannot decrypt with .*other\.agekey: .*encrypted to another key/);
  });

  it('is not reached by a request whose credentials nobody could read: onboard run refuses it, exit 2', async () => {
    await writeFile(
      join(dir, 'unreadable.json'),
      JSON.stringify({ requestId: 'HR-1301', userName: 'nokey', profile: 'sre' }),
    );

    const run = await onboard(['run', join(dir, 'unreadable.json')]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/contact\.recipient: profile "sre" hands over a one-time console password/);
    expect(run.stderr).toMatch(/nothing was created/);
  });
});
