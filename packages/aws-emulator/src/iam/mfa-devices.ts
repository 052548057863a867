import { AwsError } from '../errors.ts';
import { type EmHardwareMfaDevice, type EmulatorState, type EmVirtualMfaDevice, key } from '../state.ts';
import { byName, getUser } from './account.ts';
import { dependencyGone } from './dependencies.ts';
import { type Actions, checkName, checkPath, now, page, required, userName } from './params.ts';
import { tagsOf } from './tags.ts';
import { consecutiveCodesMatch, newSeed } from './totp.ts';
import { callerOf, targetUser, userXml } from './users.ts';

/**
 * MFA devices: virtual ones are created (a TOTP seed, serial `arn:aws:iam::<account>:mfa/<name>`),
 * enabled for a user with two consecutive codes, deactivated and deleted. Hardware TOTP tokens are
 * known to IAM by their serial (`hardwareMfaDevices`, seeded): enabled with two codes and deactivated,
 * never created or deleted. A user's devices are listed. A serial in a user's `mfaDevices` with neither
 * record is a hardware device seeded as already enabled.
 */

/** A device a code can be checked against: a virtual one, or a known hardware token. */
function deviceBySerial(
  s: EmulatorState,
  serial: string,
): EmVirtualMfaDevice | EmHardwareMfaDevice | undefined {
  return s.virtualMfaDevices[serial] ?? s.hardwareMfaDevices[serial];
}

const serialNumber = (p: URLSearchParams) => {
  const serial = required(p, 'SerialNumber');
  if (serial.length < 9 || serial.length > 256 || !/^[\w+=/:,.@-]+$/.test(serial)) {
    throw new AwsError(
      'ValidationError',
      "1 validation error detected: Value at 'serialNumber' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=/:,.@-]+",
    );
  }
  return serial;
};

function code(p: URLSearchParams, name: string): string {
  const value = required(p, name);
  if (!/^\d{6}$/.test(value)) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value at '${name[0]?.toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]+`,
    );
  }
  return value;
}

export const mfaDeviceActions: Actions = {
  CreateVirtualMFADevice(p, s) {
    const name = checkName(required(p, 'VirtualMFADeviceName'), 'virtualMFADeviceName', 226);
    const path = checkPath(p.get('Path'));
    const serial = `arn:aws:iam::${s.accountId}:mfa${path}${name}`;
    if (Object.values(s.virtualMfaDevices).some((d) => d.serial.toLowerCase() === serial.toLowerCase())) {
      throw new AwsError('EntityAlreadyExists', `MFADevice entity at the same path and name already exists.`);
    }
    const device: EmVirtualMfaDevice = {
      serial,
      seed: newSeed(),
      created: now(),
      tags: tagsOf(p, 'TagsPerUser'),
    };
    s.virtualMfaDevices[serial] = device;
    return {
      VirtualMFADevice: {
        SerialNumber: serial,
        // A blob on the wire: base64 of the base32 text, which the SDK hands back as bytes.
        Base32StringSeed: Buffer.from(device.seed).toString('base64'),
        ...(device.tags.length ? { Tags: device.tags } : {}),
      },
    };
  },
  EnableMFADevice(p, s) {
    const user = getUser(s, userName(p));
    const serial = serialNumber(p);
    const code1 = code(p, 'AuthenticationCode1');
    const code2 = code(p, 'AuthenticationCode2');
    const device = deviceBySerial(s, serial);
    if (!device) {
      throw new AwsError(
        'NoSuchEntity',
        serial.startsWith('arn:')
          ? `VirtualMFADevice with serial number ${serial} doesn't exist.`
          : `MFA Device with serial number ${serial} does not exist.`,
      );
    }
    if (device.user || user.mfaDevices.includes(serial)) {
      throw new AwsError('EntityAlreadyExists', 'MFA Device is already in use.');
    }
    if (!consecutiveCodesMatch(device.seed, code1, code2)) {
      throw new AwsError('InvalidAuthenticationCode', 'Authentication code for device is not valid.', 403);
    }
    device.user = key(user.name);
    device.enabled = now();
    user.mfaDevices.push(serial);
    return undefined;
  },
  DeactivateMFADevice(p, s, ctx) {
    const user = targetUser(p, s, ctx);
    const serial = serialNumber(p);
    if (!user.mfaDevices.includes(serial)) {
      throw new AwsError('NoSuchEntity', `MFA Device with serial number ${serial} does not exist.`);
    }
    user.mfaDevices = user.mfaDevices.filter((d) => d !== serial);
    dependencyGone(user, 'mfaDevices', ctx);
    const device = deviceBySerial(s, serial);
    if (device) {
      delete device.user;
      delete device.enabled;
    }
    return undefined;
  },
  DeleteVirtualMFADevice(p, s) {
    const serial = serialNumber(p);
    const device = s.virtualMfaDevices[serial];
    if (!device)
      throw new AwsError('NoSuchEntity', `VirtualMFADevice with serial number ${serial} doesn't exist.`);
    if (device.user) {
      throw new AwsError('DeleteConflict', 'MFA Device is still in use.');
    }
    delete s.virtualMfaDevices[serial];
    return undefined;
  },
  ListVirtualMFADevices(p, s) {
    const status = p.get('AssignmentStatus') ?? 'Any';
    if (!['Assigned', 'Unassigned', 'Any'].includes(status)) {
      throw new AwsError(
        'ValidationError',
        `1 validation error detected: Value '${status}' at 'assignmentStatus' failed to satisfy constraint: Member must satisfy enum value set: [Any, Assigned, Unassigned]`,
      );
    }
    const all = Object.values(s.virtualMfaDevices)
      .filter((d) => status === 'Any' || (status === 'Assigned') === Boolean(d.user))
      .map((d) => ({ name: d.serial, d }))
      .sort(byName);
    const { items, ...rest } = page(all, p);
    return {
      VirtualMFADevices: items.map(({ d }) => {
        const user = d.user ? s.users[d.user] : undefined;
        return {
          SerialNumber: d.serial,
          ...(user ? { User: userXml(s, user, false), EnableDate: d.enabled } : {}),
        };
      }),
      ...rest,
    };
  },
  ListMFADevices(p, s, ctx) {
    // Without a name, the caller's own devices (what a user needs to enrol without other rights).
    const user = p.get('UserName') ? getUser(s, userName(p)) : callerOf(s, ctx.accessKeyId);
    if (!user)
      throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials');
    const { items, ...rest } = page(user.mfaDevices, p);
    return {
      MFADevices: items.map((serial) => ({
        UserName: user.name,
        SerialNumber: serial,
        EnableDate: deviceBySerial(s, serial)?.enabled ?? user.created,
      })),
      ...rest,
    };
  },
};
