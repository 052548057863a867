import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';

/**
 * Keys a new hire would make on their laptop: an age identity (age-keygen) and an OpenSSH ed25519 key
 * pair (ssh-keygen -t ed25519, no passphrase), written here without either tool.
 */

export async function ageKeyPair(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateX25519Identity();
  return { identity: `# created by the test\n${identity}\n`, recipient: await identityToRecipient(identity) };
}

const sshString = (bytes: Buffer) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** An ed25519 key pair: the `ssh-ed25519 AAAA… comment` line and the OpenSSH private key file. */
export function sshKeyPair(comment = 'hire@laptop'): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
  const type = Buffer.from('ssh-ed25519');
  const wire = Buffer.concat([sshString(type), sshString(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([
    check,
    check,
    sshString(type),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(Buffer.from(comment)),
  ]);
  // The private section is padded to the cipher's block size (8 for "none") with 1, 2, 3, ...
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const file = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString(Buffer.from('none')),
    sshString(Buffer.from('none')),
    sshString(Buffer.alloc(0)),
    u32(1),
    sshString(wire),
    sshString(priv),
  ]);
  const lines = file.toString('base64').match(/.{1,70}/g) ?? [];
  return {
    publicKey: `ssh-ed25519 ${wire.toString('base64')} ${comment}`,
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
  };
}
