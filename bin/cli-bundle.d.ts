export declare const BUNDLE: string;
export declare const BUNDLE_INPUTS: string;
export declare function freshBundle(
  root: string,
  env?: Record<string, string | undefined>,
): string | undefined;
