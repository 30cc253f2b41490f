/** Commander's collector for a repeatable option (`--criterion a --criterion b`). */
export const many = (value: string, previous: string[] = []): string[] => [...previous, value];
