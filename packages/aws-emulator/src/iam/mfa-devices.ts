import { getUser } from './account.ts';
import { type Actions, page, userName } from './params.ts';

/** MFA devices: listed only (no API creates them here: seed `mfaDevices` to test DeleteConflict). */

export const mfaDeviceActions: Actions = {
  ListMFADevices(p, s) {
    const user = getUser(s, userName(p));
    const { items, ...rest } = page(user.mfaDevices, p);
    return {
      MFADevices: items.map((serial) => ({
        UserName: user.name,
        SerialNumber: serial,
        EnableDate: user.created,
      })),
      ...rest,
    };
  },
};
