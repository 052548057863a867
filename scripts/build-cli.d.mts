export declare function buildCli(root?: string, options?: { quiet?: boolean }): Promise<void>;
